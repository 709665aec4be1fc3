/**
 * The datasets gmgrad knows: file names, sizes and checksums, class names, image shape and where
 * the files can be downloaded.
 *
 * Checksums: `sha256` is the sha256 of the UNCOMPRESSED file and is what the loader verifies. The
 * same content travels in several gzip wrappers (the upstream .gz, Debian's re-stamped .gz, the
 * individually gzipped CIFAR batches of the shared folder, the CIFAR tarball), which differ only in
 * their gzip headers, so checking the content accepts all of them and nothing else. The sha256 of
 * each known wrapper is recorded in `gz` for reference.
 */

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';
export type Split = 'train' | 'test';

export interface GzipWrapper {
  sha256: string;
  bytes: number;
  /** who publishes this exact .gz */
  origin: string;
}

export interface DataFileSpec {
  /** canonical uncompressed name; on disk it may also carry a `.gz` suffix */
  name: string;
  /** size of the uncompressed file in bytes */
  bytes: number;
  /** sha256 of the uncompressed content */
  sha256: string;
  /** known gzip wrappers of this content */
  gz: GzipWrapper[];
}

export interface SplitSpec {
  /** number of images */
  n: number;
  /** idx format: [images, labels]; cifar10-bin format: the batches in order */
  files: DataFileSpec[];
}

/** Where to download from: a base URL serving each file as `<name>.gz`, or one tar.gz holding them all. */
export type Mirror =
  | { kind: 'gz-files'; base: string }
  | {
      kind: 'tar.gz';
      url: string;
      /** name the archive is saved under, and looked for in data folders */
      archiveName: string;
      /** folder inside the archive that holds the files */
      memberDir: string;
      bytes: number;
      /** published by the dataset authors */
      md5: string;
      /** reported by third parties; members are verified by content either way */
      sha256: string;
    };

export interface DatasetSpec {
  /** a registry name, or any name for a custom spec in one of the same formats */
  name: DatasetName | (string & {});
  title: string;
  format: 'idx' | 'cifar10-bin';
  classes: string[];
  /** [channels, height, width] */
  shape: [number, number, number];
  splits: Record<Split, SplitSpec>;
  mirrors: Mirror[];
  /** folders some systems install the files into */
  systemDirs: string[];
  /** sub-folders of a data folder that may hold the files (e.g. the tarball's own folder) */
  subdirs: string[];
  /** extra ways to obtain the files, shown when nothing was found */
  installHints: string[];
  /** per-channel mean and std of the training images scaled to [0, 1] (population std) */
  stats: { mean: number[]; std: number[] };
  license: string;
}

const MNIST_GZ = 'yann.lecun.com original (published md5 f68b…/d53e…/9fb6…/ec29…), mirrored by ossci-datasets';
const FASHION_UPSTREAM = 'zalandoresearch upstream (published md5; gzip header keeps the file name)';
const FASHION_DEBIAN = 'Debian dataset-fashion-mnist 0.0~git20200523.55506a9-1 (upstream deflate stream, gzip header re-stamped: no name, mtime 2020-06-05)';
const CIFAR_SHARED_GZ = 'shared data folder (gzip -9 -n of the original .bin)';

function cifarBatch(name: string, sha256: string, gzSha256: string, gzBytes: number): DataFileSpec {
  return { name, bytes: 30_730_000, sha256, gz: [{ sha256: gzSha256, bytes: gzBytes, origin: CIFAR_SHARED_GZ }] };
}

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST',
    format: 'idx',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    shape: [1, 28, 28],
    splits: {
      train: {
        n: 60_000,
        files: [
          { name: 'train-images-idx3-ubyte', bytes: 47_040_016, sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
            gz: [{ sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609', bytes: 9_912_422, origin: MNIST_GZ }] },
          { name: 'train-labels-idx1-ubyte', bytes: 60_008, sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
            gz: [{ sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c', bytes: 28_881, origin: MNIST_GZ }] },
        ],
      },
      test: {
        n: 10_000,
        files: [
          { name: 't10k-images-idx3-ubyte', bytes: 7_840_016, sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
            gz: [{ sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6', bytes: 1_648_877, origin: MNIST_GZ }] },
          { name: 't10k-labels-idx1-ubyte', bytes: 10_008, sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
            gz: [{ sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6', bytes: 4_542, origin: MNIST_GZ }] },
        ],
      },
    },
    mirrors: [{ kind: 'gz-files', base: 'https://ossci-datasets.s3.amazonaws.com/mnist/' }],
    systemDirs: [],
    subdirs: [],
    installHints: [],
    stats: { mean: [0.1307], std: [0.3081] },
    license: 'CC BY-SA 3.0, Yann LeCun and Corinna Cortes (the MNIST database); cite LeCun et al., Proc. IEEE 1998',
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    format: 'idx',
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    shape: [1, 28, 28],
    splits: {
      train: {
        n: 60_000,
        files: [
          { name: 'train-images-idx3-ubyte', bytes: 47_040_016, sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
            gz: [{ sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84', bytes: 26_421_880, origin: FASHION_UPSTREAM },
                 { sha256: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7', bytes: 26_421_856, origin: FASHION_DEBIAN }] },
          { name: 'train-labels-idx1-ubyte', bytes: 60_008, sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
            gz: [{ sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845', bytes: 29_515, origin: FASHION_UPSTREAM },
                 { sha256: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056', bytes: 29_491, origin: FASHION_DEBIAN }] },
        ],
      },
      test: {
        n: 10_000,
        files: [
          { name: 't10k-images-idx3-ubyte', bytes: 7_840_016, sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
            gz: [{ sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073', bytes: 4_422_102, origin: FASHION_UPSTREAM },
                 { sha256: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa', bytes: 4_422_079, origin: FASHION_DEBIAN }] },
          { name: 't10k-labels-idx1-ubyte', bytes: 10_008, sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
            gz: [{ sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5', bytes: 5_148, origin: FASHION_UPSTREAM },
                 { sha256: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05', bytes: 5_125, origin: FASHION_DEBIAN }] },
        ],
      },
    },
    mirrors: [{ kind: 'gz-files', base: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/' }],
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    subdirs: [],
    installHints: ['on Debian/Ubuntu: apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist)'],
    stats: { mean: [0.2860], std: [0.3530] },
    license: 'MIT, Zalando SE (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747)',
  },
  cifar10: {
    name: 'cifar10',
    title: 'CIFAR-10',
    format: 'cifar10-bin',
    classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    shape: [3, 32, 32],
    splits: {
      train: {
        n: 50_000,
        files: [
          cifarBatch('data_batch_1.bin', 'cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5', '6fcee3c4b6ea120cf82b263e2e9fe932e7edf7daf530e8b8ed62c178f70910c6', 28_313_767),
          cifarBatch('data_batch_2.bin', 'a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed', 'fdda9af5bfc1ff90c0018a3c997cc37619077ae8e4e7f1238323a8259607add2', 28_346_891),
          cifarBatch('data_batch_3.bin', 'bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67', '6cfabbc0ca93a74e247cf16f68544c0b2162576f7e2aa8d8e5d73778cbdfe628', 28_358_756),
          cifarBatch('data_batch_4.bin', '014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48', '361042113c9a826b76ab9f91d499ae3102fd43ece9af030844a33b4d801c2743', 28_352_478),
          cifarBatch('data_batch_5.bin', '755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add', '4c618c86d699c20baa688bcbc1ca629a1c2e9bbe7647d66c2e6869b025174b12', 28_328_565),
        ],
      },
      test: {
        n: 10_000,
        files: [cifarBatch('test_batch.bin', '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b', '769dbbdb7f3fb0f1a165fdea73dde4ffa43f7218019984b6fd41eb85430846ac', 28_330_804)],
      },
    },
    mirrors: [{
      kind: 'tar.gz',
      url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
      archiveName: 'cifar-10-binary.tar.gz',
      memberDir: 'cifar-10-batches-bin',
      bytes: 170_052_171,
      md5: 'c32a1d4ab5d03f1284b67883e8d87530',
      sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
    }],
    systemDirs: [],
    subdirs: ['cifar-10-batches-bin'],
    installHints: [],
    stats: { mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616] },
    license: 'no explicit license; cite Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009',
  },
};

export function datasetNames(): DatasetName[] {
  return Object.keys(DATASETS) as DatasetName[];
}

/** Look a dataset up by name; the error lists the known names. */
export function getDatasetSpec(name: string): DatasetSpec {
  const spec = (DATASETS as Record<string, DatasetSpec | undefined>)[name];
  if (!spec) throw new Error(`unknown dataset '${name}' (known: ${datasetNames().join(', ')})`);
  return spec;
}
