#include "CFileSystem.h"

#include <linux/magic.h>
#include <sys/vfs.h>

int gws_fd_on_memory_filesystem(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return -1;
    return info.f_type == TMPFS_MAGIC || info.f_type == RAMFS_MAGIC;
}
