// libFuzzer driver for .NET harnesses built with SharpFuzz (Fuzzer.LibFuzzer.Run).
//
// libFuzzer (linked in with -fsanitize=fuzzer) owns the fuzzing loop; this file starts the .NET harness once and
// relays each input to it. The two processes share one System V segment: the first MAP_BYTES are the coverage map
// the instrumented assembly writes, the input follows. Per input: write its length (int32) on the control pipe,
// read the harness's status (int32, 0 = ok) on the status pipe, and copy the coverage into libFuzzer's extra
// counters. A non-zero status or a dead harness is a crash: libFuzzer then saves the input.
//
// Usage: portico-libfuzzer [libFuzzer flags] [corpus dirs] -- harness-executable [args...]
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_BYTES (1 << 16)     // SharpFuzz's coverage map size
#define MAX_INPUT (1 << 20)     // inputs are copied after the map; keep libFuzzer's -max_len below this
#define CONTROL_FD 198          // harness reads input lengths here
#define STATUS_FD 199           // harness writes statuses here

// libFuzzer reads this section as extra coverage counters after each run.
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t extra_counters[MAP_BYTES];

static uint8_t *shared;
static int shm_id = -1;
static int control_fd = -1;
static int status_fd = -1;
static pid_t harness_pid;

static void fail(const char *what)
{
    fprintf(stderr, "portico-libfuzzer: %s: %s\n", what, errno ? strerror(errno) : "unexpected");
    exit(1);
}

static void cleanup(void)
{
    if (shm_id >= 0) shmctl(shm_id, IPC_RMID, NULL);
    if (harness_pid > 0) kill(harness_pid, SIGKILL);
}

// Reads or writes exactly one int32, retrying on EINTR; returns 0 on success, -1 on EOF or error.
static int read_int(int fd, int32_t *value)
{
    size_t done = 0;
    while (done < sizeof *value)
    {
        ssize_t n = read(fd, (char *)value + done, sizeof *value - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static int write_int(int fd, int32_t value)
{
    size_t done = 0;
    while (done < sizeof value)
    {
        ssize_t n = write(fd, (const char *)&value + done, sizeof value - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

// Cuts "-- program args..." off libFuzzer's arguments and starts the harness with them.
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int split = -1;
    for (int i = 1; i < *argc; i++)
    {
        if (strcmp((*argv)[i], "--") == 0) { split = i; break; }
    }
    if (split < 0 || split + 1 >= *argc)
    {
        fprintf(stderr, "usage: %s [libFuzzer flags] [corpus dirs] -- harness-executable [args...]\n", (*argv)[0]);
        exit(2);
    }
    char **harness_argv = &(*argv)[split + 1];
    (*argv)[split] = NULL;
    *argc = split;

    shm_id = shmget(IPC_PRIVATE, MAP_BYTES + MAX_INPUT, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0) fail("shmget");
    atexit(cleanup);
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1) fail("shmat");

    int control[2], status[2];
    if (pipe(control) || pipe(status)) fail("pipe");

    harness_pid = fork();
    if (harness_pid < 0) fail("fork");
    if (harness_pid == 0)
    {
        if (dup2(control[0], CONTROL_FD) < 0 || dup2(status[1], STATUS_FD) < 0) fail("dup2");
        close(control[0]); close(control[1]); close(status[0]); close(status[1]);
        char id[16];
        snprintf(id, sizeof id, "%d", shm_id);
        setenv("__LIBFUZZER_SHM_ID", id, 1);
        setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
        setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);
        execvp(harness_argv[0], harness_argv);
        fail("exec harness");
    }
    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    signal(SIGPIPE, SIG_IGN);

    // The harness says it is ready with a first status.
    int32_t ready;
    if (read_int(status_fd, &ready) != 0)
    {
        fprintf(stderr, "portico-libfuzzer: the harness exited before it was ready\n");
        exit(1);
    }
    // Both sides are attached: the segment now goes away with the last of them, even if libFuzzer _Exits on a timeout.
    shmctl(shm_id, IPC_RMID, NULL);
    shm_id = -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) return -1; // libFuzzer does not add an input it was told to reject
    memset(shared, 0, MAP_BYTES);
    memcpy(shared + MAP_BYTES, data, size);
    int32_t status;
    if (write_int(control_fd, (int32_t)size) != 0 || read_int(status_fd, &status) != 0)
    {
        fprintf(stderr, "portico-libfuzzer: the harness died on this input\n");
        harness_pid = 0;
        abort();
    }
    memcpy(extra_counters, shared, MAP_BYTES);
    if (status != 0)
    {
        fprintf(stderr, "portico-libfuzzer: the harness threw on this input (status %d)\n", status);
        abort();
    }
    return 0;
}
