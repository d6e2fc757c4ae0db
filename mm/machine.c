// SPDX-License-Identifier: MIT
/*
 * mm/machine.c - the machine registry, the current machine, CPU slots,
 * the kernel log and error messages. (The layer table is mm/subsys.c.)
 *
 * Linux counterpart: none directly (Linux has one machine); printk's ring
 * buffer (kernel/printk) for the log.
 *
 * A page finds its machine through the registry slot packed in page->flags,
 * so the registry is a fixed array and a slot is never reused while a machine
 * holds it.
 *
 * Locking: registry_lock for slot assignment; m->log_lock for the log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/internal.h"

struct kmm_machine *kmm_machines[KMM_MAX_MACHINES + 1];
static spinlock_t registry_lock = SPINLOCK_INIT;
static unsigned long next_serial = 1;

_Thread_local struct kmm_machine *kmm_tls_current __attribute__((tls_model("initial-exec")));
static _Thread_local char last_error[512];
static _Thread_local int last_errno;	/* kmm_set_error()'s @err with its text */


/*
 * The machine struct (~24 KB, most of it memblock's fixed region arrays, of
 * which a boot fills a few entries) comes from the host as zero pages that
 * only count once touched, not from calloc, which writes every byte: the
 * malloc shim's boot in every process saves two pages.
 */
struct kmm_machine *kmm_machine_alloc(void)
{
	struct kmm_machine *m = sim_reserve(sizeof(*m) + KMM_MACHINE_TAIL_BYTES, true);

	if (!m)
		return NULL;
	m->host_tail = true;
	m->obj_fast_serial = KMM_SERIAL_NONE;	/* until kmm_events_init() */
	/* Linux's slab_max_order= for machines built by hand; kmm_boot() sets every option. */
	m->opts.slub_max_order = PAGE_ALLOC_COSTLY_ORDER;
	spin_lock(&registry_lock);
	for (int i = 1; i <= KMM_MAX_MACHINES; i++) {
		if (!kmm_machines[i]) {
			kmm_machines[i] = m;
			m->slot = i;
			m->serial = next_serial++;
			break;
		}
	}
	spin_unlock(&registry_lock);
	if (!m->slot) {
		sim_release(m, sizeof(*m) + KMM_MACHINE_TAIL_BYTES);
		return NULL;
	}
	spin_lock_init(&m->log_lock);
	spin_lock_init(&m->sysctl_lock);
	sb_init(&m->log);
	if (kmm_events_init(m)) {
		kmm_machine_free(m);
		return NULL;
	}
	return m;
}

void kmm_machine_free(struct kmm_machine *m)
{
	if (!m)
		return;
	spin_lock(&registry_lock);
	kmm_machines[m->slot] = NULL;
	spin_unlock(&registry_lock);
	kmm_events_shutdown(m);
	sb_free(&m->log);
	memblock_release(m);
	free(m->cpus);
	pcpu_release(m);
	sim_release(m, sizeof(*m) + KMM_MACHINE_TAIL_BYTES);
}

struct kmm_machine *kmm_use(struct kmm_machine *m)
{
	struct kmm_machine *old = kmm_tls_current;

	kmm_tls_current = m;
	return old;
}

#undef kmm_current
struct kmm_machine *kmm_current(void)
{
	return kmm_tls_current;
}

/* mm/cpu_slot.c's thread-exit hook holds this while it looks machines up. */
void kmm_registry_lock(void)
{
	spin_lock(&registry_lock);
}

void kmm_registry_unlock(void)
{
	spin_unlock(&registry_lock);
}

unsigned long sum_vm_event(struct kmm_machine *m, enum vm_event_item item)
{
	unsigned long sum = 0;

	for (int c = 0; c < m->nr_cpus; c++)
		if (cpu_populated(&m->percpu, c))	/* the others' are all zero */
			sum += __atomic_load_n(&per_cpu_ptr(m->vm_events, c)->event[item],
					       __ATOMIC_RELAXED);
	return sum;
}

void sum_vm_events(struct kmm_machine *m, const enum vm_event_item *items, int n,
		   unsigned long *out)
{
	for (int i = 0; i < n; i++)
		out[i] = 0;
	for (int c = 0; c < m->nr_cpus; c++) {
		const unsigned long *ev = per_cpu_ptr(m->vm_events, c)->event;

		if (!cpu_populated(&m->percpu, c))
			continue;	/* never handed out: all zero */
		for (int i = 0; i < n; i++)
			out[i] += __atomic_load_n(&ev[items[i]], __ATOMIC_RELAXED);
	}
}

unsigned long global_zone_page_state(struct kmm_machine *m, enum zone_stat_item i)
{
	long sum = 0;

	for (int n = 0; n < m->nr_node_ids; n++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			sum += atomic_load_explicit(&m->node_data[n]->node_zones[z].vm_stat[i],
						    memory_order_relaxed);
	return sum < 0 ? 0 : (unsigned long)sum;
}

unsigned long global_node_page_state(struct kmm_machine *m, enum node_stat_item i)
{
	long sum = 0;

	for (int n = 0; n < m->nr_node_ids; n++)
		sum += node_page_state_signed(m->node_data[n], i);	/* base and slots */
	return sum < 0 ? 0 : (unsigned long)sum;
}

unsigned long kmm_nr_free_pages(struct kmm_machine *m)
{
	return global_zone_page_state(m, NR_FREE_PAGES);
}

const char *kmm_last_error(void)
{
	return last_error;
}

int kmm_last_errno(void)
{
	return last_errno;
}

int kmm_set_error(int err, const char *fmt, ...)
{
	va_list ap;

	last_errno = err;
	va_start(ap, fmt);
	kmm_vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

/* The console events of one printk: its lines again, outside log_lock, with their stamps. */
static void emit_console(struct kmm_machine *m, const char *s, const uint64_t *stamps, size_t n)
{
	for (size_t i = 0; *s && i < n; i++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *text = strndup(s, len);
		struct kmm_event ev = { .type = KMM_EV_CONSOLE, .str = text ? text : "" };

		ev.time_ns = stamps[i];
		kmm_emit(m, &ev);
		free(text);
		s += len + (nl ? 1 : 0);
	}
}

/*
 * The log: each line carries a "[    s.uuuuuu] " stamp of the virtual clock,
 * as dmesg prints it, so the same boot prints the same bytes every time.
 * Each line costs console time (mm/events.c), so stamps move as Linux's do
 * behind a serial console, and goes on the stream as a console event.
 */
/* "[%5lu.%06lu] " of @ns (seconds, microseconds) into @out, without printf: every log line has one. */
static size_t format_stamp(char *out, uint64_t ns)
{
	unsigned long sec = (unsigned long)(ns / 1000000000ull);
	unsigned long usec = (unsigned long)(ns / 1000ull % 1000000ull);
	char digits[24];
	size_t len = 0;
	int n = 0;

	do {
		digits[n++] = (char)('0' + sec % 10);
		sec /= 10;
	} while (sec);
	out[len++] = '[';
	for (int pad = n; pad < 5; pad++)
		out[len++] = ' ';
	while (n)
		out[len++] = digits[--n];
	out[len++] = '.';
	for (int i = 5; i >= 0; i--) {
		out[len + (size_t)i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	len += 6;
	out[len++] = ']';
	out[len++] = ' ';
	return len;
}

/*
 * A message is formatted on the stack when it fits (every boot line does),
 * else into a buffer of its own: a boot printed some 40 lines, each through
 * a malloc'd line buffer.
 */
void kmm_vprintk(struct kmm_machine *m, const char *fmt, va_list ap)
{
	struct strbuf line;
	char small[256];
	uint64_t *stamps = NULL;
	size_t nlines = 1;
	va_list ap2;

	sb_init(&line);
	va_copy(ap2, ap);
	int n = kmm_vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		sb_vprintf(&line, fmt, ap);
		if (line.failed)
			return;
	}
	const char *text = (size_t)n < sizeof(small) ? small : line.buf ? line.buf : "";
	bool traced = kmm_trace_on(m, KMM_EVBIT(KMM_EV_CONSOLE));

	if (traced) {
		for (const char *p = text; *p; p++)
			nlines += *p == '\n';
		stamps = calloc(nlines, sizeof(*stamps));
	}
	spin_lock(&m->log_lock);
	/* Split multi-line messages so every line gets a stamp. */
	size_t i = 0;
	for (const char *s = text; *s; i++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		uint64_t now = kmm_clock_ns(m);
		char stamp[40];

		sb_putn(&m->log, stamp, format_stamp(stamp, now));
		sb_putn(&m->log, s, len);
		sb_putn(&m->log, "\n", 1);
		kmm_clock_charge_line(m);
		if (stamps && i < nlines)
			stamps[i] = now;
		s += len + (nl ? 1 : 0);
	}
	spin_unlock(&m->log_lock);
	if (stamps)
		emit_console(m, text, stamps, nlines);
	free(stamps);
	sb_free(&line);
}

void kmm_printk(struct kmm_machine *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kmm_vprintk(m, fmt, ap);
	va_end(ap);
}

/*
 * The log's buffer is reallocated as it grows: readers get a copy taken under
 * log_lock, never the buffer itself.
 */
size_t kmm_dmesg(struct kmm_machine *m, char *buf, size_t size)
{
	spin_lock(&m->log_lock);
	size_t len = m->log.buf ? m->log.len : 0;
	if (size) {
		size_t n = KMM_MIN(len, size - 1);
		if (n)
			memcpy(buf, m->log.buf, n);
		buf[n] = '\0';
	}
	spin_unlock(&m->log_lock);
	return len;
}

char *kmm_dmesg_dup(struct kmm_machine *m)
{
	spin_lock(&m->log_lock);
	size_t len = m->log.buf ? m->log.len : 0;
	char *copy = malloc(len + 1);
	if (copy) {
		if (len)
			memcpy(copy, m->log.buf, len);
		copy[len] = '\0';
	}
	spin_unlock(&m->log_lock);
	return copy;
}

