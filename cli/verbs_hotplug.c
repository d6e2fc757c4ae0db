// SPDX-License-Identifier: MIT
/*
 * cli/verbs_hotplug.c - scenario verbs of memory hotplug: plug RAM into the
 * board and online its memory blocks.
 *
 * Linux counterpart: what a QEMU monitor's `object_add memory-backend-ram` +
 * `device_add pc-dimm` does to a guest (the ACPI driver's add_memory()), and
 * `echo online > /sys/devices/system/memory/memoryN/state`, which the same
 * files serve here too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "lib/util.h"
#include "mm/include/machine.h"
#include "mm/include/memory_hotplug.h"

static bool block_word(const char *w, unsigned long *id)
{
	char *end;

	if (!strncmp(w, "memory", 6))
		w += 6;
	if (*w < '0' || *w > '9')
		return false;
	*id = strtoul(w, &end, 10);
	return !*end;
}

static int hotplug_check(struct verb_check *vc, const struct args *a)
{
	uint64_t size;
	unsigned long id;

	if (a->argc < 2 || a->argc > 3 ||
	    (strcmp(a->argv[0].text, "add") && strcmp(a->argv[0].text, "online")))
		return verb_check_error(vc, a, a->argc ? 0 : -1,
					"usage: hotplug add SIZE [TYPE] | hotplug online memoryN [TYPE]");
	if (!strcmp(a->argv[0].text, "add") && !a->argv[1].is_var &&
	    kmm_parse_size(a->argv[1].text, &size, NULL))
		return verb_check_error(vc, a, 1, "'%s' is not a size", a->argv[1].text);
	if (!strcmp(a->argv[0].text, "online") && !block_word(a->argv[1].text, &id))
		return verb_check_error(vc, a, 1, "'%s' is not a memory block (memoryN)",
					a->argv[1].text);
	if (a->argc == 3 && mhp_online_type_from_str(a->argv[2].text) < 0)
		return verb_check_error(vc, a, 2, "unknown type '%s' (online, offline, "
					"online_kernel, online_movable)", a->argv[2].text);
	if (a->argc == 3 && !strcmp(a->argv[0].text, "online") &&
	    mhp_online_type_from_str(a->argv[2].text) == MMOP_OFFLINE)
		return verb_check_error(vc, a, 2, "offlining memory is not built in kmm");
	return 0;
}

/* "online (Normal)" or "offline" for block @id, from its sysfs files. */
static void block_state(struct kmm_machine *m, unsigned long id, char *buf, size_t len)
{
	char path[80], *state = NULL, *zones = NULL;

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", id);
	kmm_proc_read(m, path, &state);
	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/valid_zones", id);
	kmm_proc_read(m, path, &zones);
	if (state)
		state[strcspn(state, "\n")] = '\0';
	if (zones)
		zones[strcspn(zones, "\n")] = '\0';
	if (state && !strcmp(state, "online"))
		snprintf(buf, len, "online (%s)", zones ? zones : "?");
	else
		snprintf(buf, len, "offline (valid zones: %s)", zones ? zones : "?");
	free(state);
	free(zones);
}

static int hotplug_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	int type = a->argc == 3 ? mhp_online_type_from_str(a->argv[2].text) : KMM_MHP_DEFAULT;
	char state[96];
	int err;

	if (!m)
		return VERB_ERROR;
	if (!strcmp(a->argv[0].text, "add")) {
		uint64_t size, start = 0;

		if (arg_u64(ctx, a, 1, &size, true))
			return VERB_ERROR;
		err = kmm_memory_hotplug_add(m, size, type, &start);
		if (err)
			return ctx_error(ctx, a, 1, "%s", kmm_last_error());
		for (uint64_t s = start; s < start + size; s += MEMORY_BLOCK_SIZE) {
			unsigned long id = (unsigned long)(s / MEMORY_BLOCK_SIZE);

			block_state(m, id, state, sizeof(state));
			ctx_printf(ctx, "memory%lu: [mem 0x%09llx-0x%09llx] %s\n", id,
				   (unsigned long long)s,
				   (unsigned long long)(s + MEMORY_BLOCK_SIZE - 1), state);
		}
		return VERB_OK;
	}
	unsigned long id;

	if (!block_word(a->argv[1].text, &id))	/* hotplug_check refused it already */
		return ctx_error(ctx, a, 1, "'%s' is not a memory block (memoryN)", a->argv[1].text);
	err = kmm_memory_block_online(m, id, type == KMM_MHP_DEFAULT ? KMM_MHP_ONLINE : type);
	if (err)
		return ctx_error(ctx, a, 1, "%s", kmm_last_error());
	block_state(m, id, state, sizeof(state));
	ctx_printf(ctx, "memory%lu: %s\n", id, state);
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "hotplug", "hotplug add SIZE [TYPE] | hotplug online memoryN [TYPE]",
	  "plug more RAM into the board (maxmem=) and online its memory blocks",
	  "  hotplug add 256M                 added as auto_online_blocks says (offline)\n"
	  "  hotplug add 256M online_movable  and onlined into ZONE_MOVABLE\n"
	  "  hotplug online memory32          into the default zone (Normal)\n"
	  "TYPE: online, offline, online_kernel, online_movable (Linux's MMOP_* words).\n"
	  "The machine must be booted with maxmem=SIZE above mem=: the hot-pluggable\n"
	  "area starts at the first GiB boundary at or above 4G and the end of RAM, as\n"
	  "QEMU's pc machine places DIMMs. Blocks are 128M (block_size_bytes); each\n"
	  "costs 2M of existing memory for its struct pages (nr_memmap_pages). The same\n"
	  "as `echo online > /sys/devices/system/memory/memoryN/state`. Offlining is\n"
	  "not built.\n",
	  VERB_ACK, hotplug_check, hotplug_run },
};

const struct verb_table hotplug_verbs = {
	.layer = "memory hotplug",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Memory hotplug, as a QEMU guest with -m SIZE,maxmem=MAX sees it: a machine booted "
		"with maxmem= can be given more RAM while it runs, in memory blocks of 128 MiB "
		"that appear under /sys/devices/system/memory/ and are onlined into ZONE_NORMAL or "
		"ZONE_MOVABLE; MemTotal, the zones' spans, watermarks and min_free_kbytes follow.",
	.example =
		"boot mem=256M maxmem=512M\n"
		"hotplug add 256M\n"
		"cat /sys/devices/system/memory/block_size_bytes\n"
		"echo online_movable > /sys/devices/system/memory/memory33/state\n"
		"hotplug online memory32\n"
		"cat /proc/meminfo | grep MemTotal\n",
};
