#!/usr/bin/env python3
"""Copy a report.html without its image-example section (the bulk of its bytes), for docs/:
   python3 scripts/slim-report.py runs/X/attack/report.html docs/evidence/X.html"""
import re
import sys

src, dst = sys.argv[1], sys.argv[2]
html = open(src, encoding='utf-8').read()
slim, n = re.subn(r'<section[^>]*id="examples".*?</section>', '', html, count=1, flags=re.S)
if n != 1:
    sys.exit(f'{src}: no examples section found')
open(dst, 'w', encoding='utf-8').write(slim)
print(f'{dst}: {len(slim) // 1024} KiB (from {len(html) // 1024} KiB)')
