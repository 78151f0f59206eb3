/* Make this process see an AVX2-only x86-64 CPU: no AVX-512, no VNNI, no AMX (benchmarks only).

   Loaded with LD_PRELOAD (benchmarks/isa.py builds it with the system C compiler). Its constructor turns on
   Linux's CPUID faulting (arch_prctl(ARCH_SET_CPUID, 0); the CPU needs the `cpuid_fault` flag), so every
   CPUID instruction in the process (and in the threads it starts) traps with SIGSEGV; the handler runs the
   real CPUID, clears the feature bits below and steps over the instruction. The libraries that choose
   kernels at run time from CPUID (ONNX Runtime's MLAS, XNNPACK through cpuinfo, numpy's dispatch) then
   pick their AVX2 / FMA3 kernels, as on an AVX2-only CPU (AMD Zen 2/3, Intel before Ice Lake). glibc's
   string functions choose before any constructor runs: GLIBC_TUNABLES (set by isa.py) covers them.
   What it cannot change: clock, caches and memory stay this machine's.

   FMAPLAYER_CPUID_MASK_LOG=1 prints how many CPUID instructions were trapped when the process exits;
   FMAPLAYER_CPUID_MASK=sse4 hides AVX, AVX2, FMA and F16C too (to check that the libraries obey CPUID). */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef ARCH_GET_CPUID
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012
#endif

static volatile long traps;
static int active;
static int sse_only;  /* FMAPLAYER_CPUID_MASK=sse4: no AVX, AVX2, FMA or F16C either */

static void real_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}

#define BIT(n) (1u << (n))

static void mask(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    if (leaf == 1 && sse_only)
        r[2] &= ~(BIT(12) | BIT(28) | BIT(29));  /* ECX: FMA, AVX, F16C */
    if (leaf == 7 && sub == 0 && sse_only)
        r[1] &= ~BIT(5);  /* EBX: AVX2 */
    if (leaf == 7 && sub == 0) {
        /* EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
        r[1] &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31));
        /* ECX: AVX512_VBMI, AVX512_VBMI2, GFNI, VAES, VPCLMULQDQ, AVX512_VNNI, AVX512_BITALG, VPOPCNTDQ */
        r[2] &= ~(BIT(1) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | BIT(12) | BIT(14));
        /* EDX: AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, AMX_BF16, AVX512_FP16, AMX_TILE, AMX_INT8 */
        r[3] &= ~(BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25));
    } else if (leaf == 7 && sub == 1) {
        /* EAX: AVX_VNNI, AVX512_BF16, AVX_IFMA; EDX: AVX_VNNI_INT8, AVX_NE_CONVERT, AVX_VNNI_INT16, AVX10 */
        r[0] &= ~(BIT(4) | BIT(5) | BIT(23));
        r[3] &= ~(BIT(4) | BIT(5) | BIT(10) | BIT(19));
    } else if (leaf == 0x24 || leaf == 0x1d || leaf == 0x1e) {
        r[0] = r[1] = r[2] = r[3] = 0;  /* AVX10 and AMX tile information */
    }
}

static void on_sigsegv(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = (ucontext_t *)context;
    greg_t *g = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)g[REG_RIP];
    (void)info;
    if (ip[0] != 0x0f || ip[1] != 0xa2) {  /* not a CPUID: a real fault, let it crash as it would */
        signal(sig, SIG_DFL);
        return;
    }
    uint32_t r[4];
    uint32_t leaf = (uint32_t)g[REG_RAX], sub = (uint32_t)g[REG_RCX];
    int saved_errno = errno;
    real_cpuid(leaf, sub, r);
    errno = saved_errno;
    mask(leaf, sub, r);
    g[REG_RAX] = r[0];
    g[REG_RBX] = r[1];
    g[REG_RCX] = r[2];
    g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
    __atomic_add_fetch(&traps, 1, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void start(void) {
    const char *level = getenv("FMAPLAYER_CPUID_MASK");
    struct sigaction sa;
    sse_only = level && strcmp(level, "sse4") == 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsegv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0 || syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        fprintf(stderr, "cpuid_mask: CPUID faulting is not available here; the CPU is not masked\n");
        return;
    }
    active = 1;
}

__attribute__((destructor)) static void stop(void) {
    const char *log = getenv("FMAPLAYER_CPUID_MASK_LOG");
    if (active && log && *log == '1')
        fprintf(stderr, "cpuid_mask: %ld CPUID instructions trapped and masked\n", traps);
}
