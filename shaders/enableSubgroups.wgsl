// First in a kernel that uses subgroup operations (devices with the 'subgroups' feature only).
enable subgroups;
