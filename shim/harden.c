// SPDX-License-Identifier: MIT
/*
 * shim/harden.c - the malloc shim's hardened mode (KMM_MALLOC_HARDEN=1) and
 * failure injection (KMM_MALLOC_FAIL=N); the contract is shim/harden.h.
 *
 * Linux counterpart: the ideas of slab_debug=Z (red zones) and P (poison),
 * init_on_free, SLAB_FREELIST_HARDENED, and KFENCE's guard pages, applied by
 * a user-space allocator on top of kmm's: the slab layer itself runs without
 * slab_debug (its debug path takes the node lock on every allocation), so
 * the shim keeps its own red zones and quarantine.
 *
 * Layouts. A small block (a kmalloc object of U usable bytes) asked S bytes
 * at alignment A (H = max(16, A) bytes of header):
 *
 *   [ 0xcb.. | (H << 32 | S) ^ secret ^ p | 0xcb x 8 | S bytes of data | 0xcb ... ]
 *                                                      ^ p = object + H   U >= H + S + 1
 *
 * A page or huge block of B bytes (a compound block, or a host mapping):
 *
 *   [ p ^ secret | S ^ secret | unused | 0xcb x 16 | S bytes of data | 0xcb ... | guard page ]
 *                                                  ^ p, aligned as asked, as far right as that
 *                                                    allows with at least one 0xcb byte after
 *                                                    the data
 *
 * The header sits at the block's start, away from the data's end: nothing
 * but red bytes (a fixed value) lies between the data and the guard page, so
 * a write past the end is caught whatever it writes but 0xcb. (It was a trailer
 * right before the guard page: p[S + 16] of a 16 MiB block hit the low byte
 * of p ^ secret, and writing the value that byte happened to hold went
 * unnoticed, 1 run in 128.)
 *
 * The guard page is inaccessible for huge blocks and page blocks of 256 KiB
 * and more; below, it is a canary page (0xcb), checked at free (see
 * PROTECT_MIN for why).
 *
 * The secret is random per process (AT_RANDOM), so a stray copy of another
 * block's header does not pass for this one's.
 *
 * Quarantine. A freed small block is filled with 0xdf and held in its CPU
 * slot's ring (at most KMM_MALLOC_QUARANTINE bytes, default 1 MiB per slot,
 * and 1024 blocks); when the ring is full the oldest block leaves it, its
 * bytes checked, and only then goes back to kmalloc - so a write after free
 * is found before the slot is handed out again. A freed page block is held
 * too (8 per slot): from 256 KiB made inaccessible (a write after free
 * faults at once), below poisoned and checked like a small block. A
 * freed huge block's range is kept reserved and empty (up to 64 GiB of
 * address space, 1024 ranges), so its address is not reused meanwhile.
 *
 * Faults. A fault on a guard page or a quarantined block ends the program
 * with a message naming the block (a SIGSEGV handler installed only when the
 * program has none; it restores the default action for any other fault).
 * The default mode installs it too: huge blocks always have a guard page.
 *
 * Locking: see shim/harden.h. The counters of failure injection are atomic.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "lib/kstrtox.h"
#include "lib/util.h"
#include "mm/include/machine.h"
#include "shim/harden.h"

bool harden_on;
unsigned long harden_fail_every;

#define RED_BYTE	0xcb	/* red zone, as Linux's SLUB_RED_ACTIVE */
#define FREE_BYTE	0xdf	/* a freed small block while in quarantine */
#define SMALL_RING	1024
#define PAGES_RING	8
#define HUGE_RING	1024
#define HUGE_BUDGET	(64ULL << 30)
#define NO_BYTE		0x100	/* shim_report(): no byte value to show */
/*
 * Page blocks in RAM smaller than this get a canary page instead of an
 * inaccessible one, and are poisoned rather than closed in quarantine:
 * every mprotect() of the RAM mapping takes the host's mmap lock for
 * writing, which serialised a threaded program's page faults (mt_churn:
 * 7x slower). Huge blocks, and page blocks from 256 KiB, are closed.
 */
#define PROTECT_MIN	(256UL << 10)

static uint64_t secret;
static size_t quarantine_bytes = 1 << 20;	/* per CPU slot; 0: no quarantine */
static struct kmm_machine *machine;
static uintptr_t ram_lo, ram_hi;
static _Atomic uintptr_t huge_lo = UINTPTR_MAX, huge_hi;
static atomic_ulong fail_count;

struct held {
	void *p;		/* the kmalloc object, page block or mapping */
	size_t bytes;
	void *user;		/* small blocks: the pointer malloc returned */
};

/* Per CPU slot; that slot's section (the shim's kmm_enter) protects it. */
static struct harden_slot {
	struct held small[SMALL_RING];
	unsigned int small_head, small_n;
	size_t small_bytes;
	struct held pages[PAGES_RING];
	unsigned int pages_head, pages_n;
} *hslots;

/* huge_lock (shim/malloc.c) */
static struct held huge_ring[HUGE_RING];
static unsigned int huge_head, huge_n;
static uint64_t huge_bytes;

/* ---- Reporting (write(2) only: the heap may be broken) ---- */

void shim_put(char *buf, size_t *n, size_t cap, const char *s)
{
	while (*s && *n + 1 < cap)
		buf[(*n)++] = *s++;
}

void shim_put_num(char *buf, size_t *n, size_t cap, uint64_t v, bool hex)
{
	char tmp[24];
	int k = 0;

	if (hex)
		shim_put(buf, n, cap, "0x");
	do {
		tmp[k++] = "0123456789abcdef"[hex ? v & 15 : v % 10];
		v = hex ? v >> 4 : v / 10;
	} while (v);
	while (k && *n + 1 < cap)
		buf[(*n)++] = tmp[--k];
}

/*
 * "kmm-malloc: CALL(): WHAT P (N bytes): byte +OFF is 0xXX" and abort.
 * @size (size_t)-1, @off < 0 and @byte > 0xff leave out their parts.
 */
_Noreturn void shim_report(const char *call, const char *what, const void *p, size_t size,
			   long off, unsigned int byte)
{
	char buf[320];
	size_t n = 0;

	shim_put(buf, &n, sizeof(buf), "kmm-malloc: ");
	shim_put(buf, &n, sizeof(buf), call);
	shim_put(buf, &n, sizeof(buf), "(): ");
	shim_put(buf, &n, sizeof(buf), what);
	shim_put(buf, &n, sizeof(buf), " ");
	shim_put_num(buf, &n, sizeof(buf), (uintptr_t)p, true);
	if (size != (size_t)-1) {
		shim_put(buf, &n, sizeof(buf), " (");
		shim_put_num(buf, &n, sizeof(buf), size, false);
		shim_put(buf, &n, sizeof(buf), " bytes)");
	}
	if (off >= 0) {
		shim_put(buf, &n, sizeof(buf), ": byte +");
		shim_put_num(buf, &n, sizeof(buf), (uint64_t)off, false);
		if (byte <= 0xff) {
			shim_put(buf, &n, sizeof(buf), " is ");
			shim_put_num(buf, &n, sizeof(buf), byte, true);
		}
	}
	shim_put(buf, &n, sizeof(buf), harden_on ? " [KMM_MALLOC_HARDEN]\n" : "\n");
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
	abort();
}

void shim_warn(const char *a, const char *b, const char *c)
{
	char buf[512];
	size_t n = 0;

	shim_put(buf, &n, sizeof(buf), "kmm-malloc: ");
	shim_put(buf, &n, sizeof(buf), a);
	shim_put(buf, &n, sizeof(buf), b ? b : "");
	shim_put(buf, &n, sizeof(buf), c ? c : "");
	shim_put(buf, &n, sizeof(buf), "\n");
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
}

_Noreturn void shim_report_slab_bug(const char *call, const void *p, const char *log)
{
	if (!log)
		log = "";
	size_t len = strlen(log);
	const char *from = len > 4000 ? log + len - 4000 : log;
	const char *bug = strstr(from, "BUG ");
	char buf[160];
	size_t n = 0;

	shim_put(buf, &n, sizeof(buf), "kmm-malloc: ");
	shim_put(buf, &n, sizeof(buf), call);
	shim_put(buf, &n, sizeof(buf), "(");
	shim_put_num(buf, &n, sizeof(buf), (uintptr_t)p, true);
	shim_put(buf, &n, sizeof(buf), "): the slab allocator reported corruption (dmesg follows)\n");
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
	if (!bug)
		bug = from;
	w = write(STDERR_FILENO, bug, strlen(bug));
	(void)w;
	abort();
}

/* ---- Setup ---- */

/* "kmm-malloc: NAME="VALUE" is not WANT; keeping KEEP" */
static void env_refused(const char *name, const char *v, const char *want, const char *keep)
{
	char what[64], tail[96];

	snprintf(what, sizeof(what), "%s=\"", name);
	snprintf(tail, sizeof(tail), "\" is not %s; keeping %s", want, keep);
	shim_warn(what, v, tail);
}

bool shim_env_size(const char *name, const char *keep, uint64_t *bytes)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return false;
	if (kmm_parse_size(v, bytes, NULL) == 0)
		return true;
	env_refused(name, v, "a size such as 1M", keep);
	return false;
}

bool shim_env_flag(const char *name)
{
	const char *v = getenv(name);
	bool on;

	if (!v || !*v)
		return false;
	if (kstrtobool(v, &on) == 0)
		return on;
	env_refused(name, v, "an on/off word (" KSTRTOBOOL_WORDS ")", "off");
	return false;
}

const char *harden_setup(void)
{
	const char *f = getenv("KMM_MALLOC_FAIL");
	unsigned long every;

	/* not strtoul(): it read "abc" as 0 (off) and "1x" as 1 (every allocation fails) */
	if (f && *f && kmm_parse_ulong(f, &every) == 0)
		harden_fail_every = every;
	else if (f && *f)
		env_refused("KMM_MALLOC_FAIL", f, "a number", "0 (no failures)");
	harden_on = shim_env_flag("KMM_MALLOC_HARDEN");
	if (!harden_on)
		return "";
	const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
	if (r)
		memcpy(&secret, r + 8, sizeof(secret));
	secret ^= (uintptr_t)&secret * 0x9e3779b97f4a7c15ULL;
	secret |= 0x8080808080808080ULL;	/* never 0 in any byte */
	uint64_t bytes;
	if (shim_env_size("KMM_MALLOC_QUARANTINE", "1M", &bytes))
		quarantine_bytes = (size_t)bytes;
	return " slab_freelist_hardened=on";
}

/* ---- Faults on guard pages and quarantined blocks ---- */

static struct sigaction old_segv;

/* Is [start, start+bytes) a block whose guard page is closed (else a canary page)? */
static bool closes(const void *start, size_t bytes)
{
	return bytes >= PROTECT_MIN || (uintptr_t)start - ram_lo >= ram_hi - ram_lo;
}

static bool in_huge(uintptr_t a)
{
	return a >= atomic_load_explicit(&huge_lo, memory_order_relaxed) &&
	       a < atomic_load_explicit(&huge_hi, memory_order_relaxed);
}

/*
 * The page or huge block [@start, @guard + PAGE_SIZE): its pointer and size
 * from the header, or NULL if the header does not describe a block there.
 */
static const void *block_of(uintptr_t start, uintptr_t guard, size_t *size)
{
	uint64_t enc_p, enc_s;

	memcpy(&enc_p, (const void *)start, 8);
	memcpy(&enc_s, (const void *)(start + 8), 8);
	*size = (size_t)(enc_s ^ secret);
	uintptr_t p = (uintptr_t)(enc_p ^ secret);
	return p >= start + 32 && p < guard && guard - p - 1 >= *size ? (const void *)p : NULL;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	uintptr_t page = a & ~(uintptr_t)(PAGE_SIZE - 1);
	size_t size;

	(void)uc;
	if (harden_on && a - ram_lo < ram_hi - ram_lo) {
		/* Is it the last page of a compound block? Then a guard page. */
		struct page *pg = compound_head(pfn_to_page_m(machine, (a - ram_lo) >> PAGE_SHIFT));
		uintptr_t start = ram_lo + (page_to_pfn_m(machine, pg) << PAGE_SHIFT);
		uintptr_t guard = start + (PAGE_SIZE << compound_order(pg)) - PAGE_SIZE;
		const void *p;
		/*
		 * Open the block to read its header (a block in quarantine is
		 * closed whole): the program ends here anyway.
		 */
		bool open = sim_protect((void *)start, guard + PAGE_SIZE - start, true) == 0;
		if (open && page == guard && (p = block_of(start, guard, &size)) != NULL)
			shim_report("access", "past the end of block", p, size, (long)(a - (uintptr_t)p),
			       NO_BYTE);
		if (open && (p = block_of(start, guard, &size)) != NULL)
			shim_report("access", "write after free to block", p, size,
			       (long)(a - (uintptr_t)p), NO_BYTE);
		shim_report("access", "to a freed block held in quarantine, at", (void *)a, (size_t)-1,
		       -1, NO_BYTE);
	}
	uintptr_t key;
	bool freed;
	if (in_huge(a) && shim_huge_fault(a, &key, &size, &freed)) {
		if (freed)
			shim_report("access", "to freed block", (void *)key, size, (long)(a - key),
			       NO_BYTE);
		shim_report("access", "past the end of block", (void *)key, size, (long)(a - key),
		       NO_BYTE);
	}
	/* Just below a live huge block (nothing mapped there): a write before its start. */
	uintptr_t next = page + PAGE_SIZE;
	if (in_huge(next) && shim_huge_fault(next, &key, &size, &freed) && key == next && !freed)
		shim_report("access", "before the start of block", (void *)key, size, -1, NO_BYTE);
	/* Not ours: the program's own fault, as if we were not here. */
	sigaction(sig, &old_segv, NULL);
}

void harden_start(struct kmm_machine *m, uintptr_t start, uintptr_t end)
{
	machine = m;
	ram_lo = start;
	ram_hi = end;
	if (harden_on) {
		hslots = sim_reserve(sizeof(*hslots) * KMM_MAX_CPUS, true);
		if (!hslots)
			quarantine_bytes = 0;
	}
	/* Both modes: huge blocks have a guard page after them. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, NULL, &old_segv) == 0 && old_segv.sa_handler == SIG_DFL &&
	    !(old_segv.sa_flags & SA_SIGINFO))
		sigaction(SIGSEGV, &sa, NULL);
}

void harden_note_huge(const void *base, size_t len)
{
	uintptr_t lo = atomic_load(&huge_lo), hi = atomic_load(&huge_hi);
	uintptr_t a = (uintptr_t)base;

	while (a < lo && !atomic_compare_exchange_weak(&huge_lo, &lo, a))
		;
	while (a + len > hi && !atomic_compare_exchange_weak(&huge_hi, &hi, a + len))
		;
}

/* ---- Failure injection ---- */

bool harden_fail_now(void)
{
	unsigned long n = atomic_fetch_add_explicit(&fail_count, 1, memory_order_relaxed) + 1;

	return harden_fail_every && n % harden_fail_every == 0;
}

/* ---- Red zones ---- */

typedef uint64_t __attribute__((may_alias)) word_alias;

/*
 * The first byte of [p, p+n) that is not @v, or -1. Eight bytes at a time
 * once aligned: the quarantine and red-zone checks scan every freed byte.
 */
static long first_not(const unsigned char *p, size_t n, unsigned char v)
{
	const uint64_t pat = 0x0101010101010101ULL * v;
	size_t i = 0;

	for (; i < n && ((uintptr_t)(p + i) & 7); i++)
		if (p[i] != v)
			return (long)i;
	/* Aligned words, read through a may_alias type (the shim is built -fno-builtin). */
	for (; i + 32 <= n; i += 32) {
		const word_alias *w = (const word_alias *)(const void *)(p + i);
		if (((w[0] ^ pat) | (w[1] ^ pat) | (w[2] ^ pat) | (w[3] ^ pat)) != 0)
			break;
	}
	for (; i + 8 <= n; i += 8)
		if (*(const word_alias *)(const void *)(p + i) != pat)
			break;
	for (; i < n; i++)
		if (p[i] != v)
			return (long)i;
	return -1;
}

static size_t small_head(size_t align)
{
	return align > 16 ? align : 16;
}

size_t harden_small_want(size_t size, size_t align)
{
	return size + small_head(align) + 1;
}

void *harden_small_place(void *obj, size_t usable, size_t size, size_t align)
{
	size_t head = small_head(align);
	unsigned char *p = (unsigned char *)obj + head;
	uint64_t enc = ((uint64_t)head << 32 | size) ^ secret ^ (uintptr_t)p;

	memset(obj, RED_BYTE, head - 16);
	memcpy(p - 16, &enc, 8);
	memset(p - 8, RED_BYTE, 8);
	memset(p + size, RED_BYTE, usable - head - size);
	return p;
}

size_t harden_small_size(const char *call, const void *ptr, size_t usable, void **obj)
{
	const unsigned char *p = ptr;
	uint64_t enc;
	long bad;

	memcpy(&enc, p - 16, 8);
	enc ^= secret ^ (uintptr_t)p;
	size_t head = (size_t)(enc >> 32), size = (uint32_t)enc;
	if (head < 16 || head > PAGE_SIZE || (head & (head - 1)) || size + head + 1 > usable ||
	    ((uintptr_t)p & (head - 1)))
		shim_report(call, "write before the start of block", p, (size_t)-1, -16, p[-16]);
	if ((bad = first_not(p - 8, 8, RED_BYTE)) >= 0)
		shim_report(call, "write before the start of block", p, size, bad - 8, p[bad - 8]);
	const unsigned char *end = p - head + usable;
	if ((bad = first_not(p + size, (size_t)(end - p) - size, RED_BYTE)) >= 0)
		shim_report(call, "write past the end of block", p, size, (long)size + bad,
		       p[size + (size_t)bad]);
	if (obj)
		*obj = (void *)(p - head);
	return size;
}

size_t harden_pages_bytes(size_t size, size_t align)
{
	if (size > PTRDIFF_MAX / 2)
		return SIZE_MAX;
	/* Room for the left red zone however far aligning down moves the block. */
	if (align > PAGE_SIZE)
		return ALIGN_UP(size + HARDEN_PAGE_EXTRA, PAGE_SIZE) + align + PAGE_SIZE;
	return ALIGN_UP(size + HARDEN_PAGE_EXTRA + align, PAGE_SIZE) + PAGE_SIZE;
}

void *harden_pages_place(void *start, size_t bytes, size_t size, size_t align)
{
	uintptr_t guard = (uintptr_t)start + bytes - PAGE_SIZE;
	/* At least one red byte after the data, so that p[size] is always checked. */
	uintptr_t p = (guard - 1 - size) & ~(uintptr_t)(align - 1);
	uint64_t enc_p = p ^ secret, enc_s = size ^ secret;

	memcpy(start, &enc_p, 8);
	memcpy((char *)start + 8, &enc_s, 8);
	memset((void *)(p - 16), RED_BYTE, 16);
	memset((void *)(p + size), RED_BYTE, guard - p - size);
	if (closes(start, bytes))
		sim_protect((void *)guard, PAGE_SIZE, false);	/* best effort: map count */
	else
		memset((void *)guard, RED_BYTE, PAGE_SIZE);
	if ((uintptr_t)start - ram_lo >= ram_hi - ram_lo)
		harden_note_huge(start, bytes);
	return (void *)p;
}

size_t harden_pages_size(const char *call, const void *ptr, const void *start, size_t bytes)
{
	uintptr_t guard = (uintptr_t)start + bytes - PAGE_SIZE;
	const unsigned char *p = ptr;
	size_t size;
	long bad;

	if (block_of((uintptr_t)start, guard, &size) != ptr)
		shim_report(call, "write before the start of block", p, (size_t)-1,
		       -(long)((uintptr_t)p - (uintptr_t)start), NO_BYTE);
	if ((bad = first_not(p - 16, 16, RED_BYTE)) >= 0)
		shim_report(call, "write before the start of block", p, size, bad - 16, p[bad - 16]);
	if ((bad = first_not(p + size, guard - (uintptr_t)p - size, RED_BYTE)) >= 0)
		shim_report(call, "write past the end of block", p, size, (long)size + bad,
		       p[size + (size_t)bad]);
	if (!closes(start, bytes) &&
	    (bad = first_not((const unsigned char *)guard, PAGE_SIZE, RED_BYTE)) >= 0)
		shim_report(call, "write past the end of block", p, size,
			    (long)(guard - (uintptr_t)p) + bad, ((const unsigned char *)guard)[bad]);
	return size;
}

void harden_pages_unguard(void *start, size_t bytes)
{
	if (closes(start, bytes))
		sim_protect((char *)start + bytes - PAGE_SIZE, PAGE_SIZE, true);
}

/* ---- Quarantine ---- */

void *harden_quarantine_small(int cpu, void *user, void *p, size_t usable)
{
	if (!quarantine_bytes || usable > quarantine_bytes)
		return p;
	struct harden_slot *h = &hslots[cpu];
	void *out = NULL;

	memset(p, FREE_BYTE, usable);
	if (h->small_n == SMALL_RING || h->small_bytes + usable > quarantine_bytes) {
		struct held *o = &h->small[h->small_head];
		long off = first_not(o->p, o->bytes, FREE_BYTE);
		if (off >= 0)
			shim_report("malloc", "write after free to block", o->user, (size_t)-1,
			       off - ((char *)o->user - (char *)o->p), ((unsigned char *)o->p)[off]);
		out = o->p;
		h->small_bytes -= o->bytes;
		h->small_head = (h->small_head + 1) % SMALL_RING;
		h->small_n--;
	}
	unsigned int tail = (h->small_head + h->small_n) % SMALL_RING;
	h->small[tail] = (struct held){ p, usable, user };
	h->small_n++;
	h->small_bytes += usable;
	return out;
}

void *harden_quarantine_pages(int cpu, void *user, void *start, size_t bytes)
{
	if (!quarantine_bytes)
		return start;
	if (closes(start, bytes)) {
		if (sim_protect(start, bytes, false))
			return start;
	} else {
		memset(start, FREE_BYTE, bytes);
	}
	struct harden_slot *h = &hslots[cpu];
	void *out = NULL;

	if (h->pages_n == PAGES_RING) {
		struct held *o = &h->pages[h->pages_head];
		if (closes(o->p, o->bytes)) {
			sim_protect(o->p, o->bytes, true);
		} else {
			long off = first_not(o->p, o->bytes, FREE_BYTE);
			if (off >= 0)
				shim_report("free", "write after free to block", o->user, (size_t)-1,
					    off - ((char *)o->user - (char *)o->p),
					    ((unsigned char *)o->p)[off]);
		}
		out = o->p;
		h->pages_head = (h->pages_head + 1) % PAGES_RING;
		h->pages_n--;
	}
	h->pages[(h->pages_head + h->pages_n) % PAGES_RING] = (struct held){ start, bytes, user };
	h->pages_n++;
	return out;
}

bool harden_quarantine_huge(void *base, size_t len)
{
	if (!quarantine_bytes || len > HUGE_BUDGET || sim_protect(base, len, false))
		return false;
	sim_discard(base, len);
	while (huge_n == HUGE_RING || huge_bytes + len > HUGE_BUDGET) {
		struct held *o = &huge_ring[huge_head];
		sim_release(o->p, o->bytes);
		huge_bytes -= o->bytes;
		huge_head = (huge_head + 1) % HUGE_RING;
		huge_n--;
	}
	huge_ring[(huge_head + huge_n) % HUGE_RING] = (struct held){ base, len, NULL };
	huge_n++;
	huge_bytes += len;
	return true;
}
