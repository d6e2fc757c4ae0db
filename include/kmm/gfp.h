// SPDX-License-Identifier: MIT
/*
 * include/kmm/gfp.h - GFP flags with Linux 6.12's bit values (x86 config).
 *
 * The bit order follows include/linux/gfp_types.h so that a gfp_mask printed by
 * kmm (e.g. 0xcc0 for GFP_KERNEL) means what it means in a Linux report. The
 * config-dependent bits (SKIP_ZERO, SKIP_KASAN, NOLOCKDEP, NO_OBJ_EXT) are 0,
 * as on an x86 kernel without KASAN hardware tags.
 */
#ifndef KMM_GFP_H
#define KMM_GFP_H

#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
/* 0x200 unused */
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_ZEROTAGS		0x800000u
#define __GFP_SKIP_ZERO		0u
#define __GFP_SKIP_KASAN	0u
#define __GFP_NOLOCKDEP		0u
#define __GFP_NO_OBJ_EXT	0u

#define __GFP_BITS_SHIFT	24
#define GFP_ZONEMASK	(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define GFP_MOVABLE_MASK (__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define __GFP_RECLAIM	(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN)
#define GFP_TRANSHUGE_LIGHT ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | \
			      __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE	(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

#ifdef __cplusplus
extern "C" {
#endif
/**
 * kmm_gfp_parse() - parse "GFP_KERNEL|__GFP_ZERO" or a number into a mask.
 * Return: 0, or -EINVAL with *bad_at set to the offset of the unknown word.
 */
int kmm_gfp_parse(const char *text, gfp_t *out, size_t *bad_at);
/**
 * kmm_gfp_format() - print a mask as Linux's %pGg does ("GFP_KERNEL|__GFP_ZERO").
 * Return: the length written (snprintf semantics).
 */
int kmm_gfp_format(char *buf, size_t len, gfp_t gfp);

/**
 * kmm_gfp_flag_name() - the @i-th name kmm_gfp_parse() accepts ("GFP_KERNEL",
 * "__GFP_ZERO", ...), for completion and "did you mean" hints.
 * Return: the name, or NULL when @i is past the last one.
 */
const char *kmm_gfp_flag_name(unsigned int i);
#ifdef __cplusplus
}
#endif

#endif /* KMM_GFP_H */
