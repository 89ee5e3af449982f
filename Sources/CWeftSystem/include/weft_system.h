// System interfaces Swift's Glibc module does not import: signalfd(2), which turns signals into a readable
// descriptor that a poll loop can wait on with its inputs, and statx(2)'s birth time.
#ifndef WEFT_SYSTEM_H
#define WEFT_SYSTEM_H

#include <signal.h>
#include <stdint.h>

// The birth time of the file at `path` (statx's STX_BTIME) in nanoseconds since the epoch, or INT64_MIN when the
// file system does not keep one (or the call fails). A file that gets a deleted file's inode is born anew: with the
// change time, it tells "the same file, untouched" from "another file on the same inode" without reading it.
int64_t weft_birth_time(const char *path);

// The birth time of the open file `fd`, as weft_birth_time.
int64_t weft_birth_time_fd(int fd);

#ifdef __linux__
#include <sys/signalfd.h>
#include <unistd.h>

// Blocks `signals` for the calling thread (so they are not delivered the usual way) and returns a non-blocking,
// close-on-exec descriptor that becomes readable when one is pending, or -1 with errno set.
static inline int weft_signalfd_open(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Reads one pending signal from a descriptor made by weft_signalfd_open: its number, 0 if none is pending, or -1
// with errno set.
static inline int weft_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t count = read(fd, &info, sizeof info);
    if (count == (ssize_t)sizeof info) return (int)info.ssi_signo;
    return count < 0 ? -1 : 0;
}
#endif

#endif
