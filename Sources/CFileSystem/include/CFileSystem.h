#ifndef DEADLETTER_CFILESYSTEM_H
#define DEADLETTER_CFILESYSTEM_H

// Renames that POSIX rename() cannot express, which Swift's Glibc module does not expose (glibc declares
// renameat2 only under _GNU_SOURCE). Each returns 0, or -1 with errno set; EINVAL or ENOSYS when this
// system or file system cannot do it, so the caller can fall back.

/// Swaps two entries atomically (Linux RENAME_EXCHANGE, macOS RENAME_SWAP).
int deadletter_rename_exchange(int from_dir, const char *from, int to_dir, const char *to);

/// Renames, failing with EEXIST when `to` exists, even as an empty directory (RENAME_NOREPLACE, RENAME_EXCL).
int deadletter_rename_noreplace(int from_dir, const char *from, int to_dir, const char *to);

#endif
