#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include "CFileSystem.h"

#if defined(__linux__)
#include <linux/fs.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#endif

int deadletter_rename_exchange(int from_dir, const char *from, int to_dir, const char *to) {
#if defined(__linux__)
    return renameat2(from_dir, from, to_dir, to, RENAME_EXCHANGE);
#elif defined(__APPLE__)
    return renameatx_np(from_dir, from, to_dir, to, RENAME_SWAP);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int deadletter_rename_noreplace(int from_dir, const char *from, int to_dir, const char *to) {
#if defined(__linux__)
    return renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE);
#elif defined(__APPLE__)
    return renameatx_np(from_dir, from, to_dir, to, RENAME_EXCL);
#else
    errno = ENOSYS;
    return -1;
#endif
}
