// Force-included by the old-glibc prebuild (CMake option DENSENODE_OLD_GLIBC, set by
// scripts/prebuild.mjs --old-glibc). glibc 2.29 gave exp, exp2, log, log2 and pow new
// symbol versions (no SVID error handling); a binary linked against a newer glibc asks for
// those and will not load on glibc 2.28. These bind the references to the versions every
// glibc still exports. Results are the same: only errno and matherr differ, which we never read.
#if defined(__x86_64__)
#define DENSENODE_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define DENSENODE_GLIBC_BASE "GLIBC_2.17"
#endif
#ifdef DENSENODE_GLIBC_BASE
__asm__(".symver exp,exp@" DENSENODE_GLIBC_BASE);
__asm__(".symver exp2,exp2@" DENSENODE_GLIBC_BASE);
__asm__(".symver log,log@" DENSENODE_GLIBC_BASE);
__asm__(".symver log2,log2@" DENSENODE_GLIBC_BASE);
__asm__(".symver pow,pow@" DENSENODE_GLIBC_BASE);
#endif
