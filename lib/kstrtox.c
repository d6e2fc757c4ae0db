// SPDX-License-Identifier: MIT
/*
 * lib/kstrtox.c - kstrtobool(), the boolean reading of Linux's
 * lib/kstrtox.c (6.12), for the boot options that take on/off.
 *
 * Kept: which words mean what (the first character decides, two for
 * "on"/"off"; nothing after them is looked at). Not here: Linux's number
 * readers (kstrtoul and friends), which lib/util.c's kmm_parse_ulong() covers.
 */
#include "lib/kstrtox.h"

#include <errno.h>
#include <stddef.h>

int kstrtobool(const char *s, bool *res)
{
	bool v;

	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		v = true;
		break;
	case 'n': case 'N': case 'f': case 'F': case '0':
		v = false;
		break;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N')
			v = true;
		else if (s[1] == 'f' || s[1] == 'F')
			v = false;
		else
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	*res = v;
	return 0;
}
