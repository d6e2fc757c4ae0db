// SPDX-License-Identifier: MIT
/*
 * lib/kstrtox.h - Linux's kstrtobool(): the one reading of a boolean word
 * that every boot option taking on/off shares.
 */
#ifndef KMM_LIB_KSTRTOX_H
#define KMM_LIB_KSTRTOX_H

#include <stdbool.h>

/*
 * What a refused value is told it may be (for the error texts of options
 * read with kstrtobool()).
 */
#define KSTRTOBOOL_WORDS "on/off, 1/0, y/n or t/f"

/**
 * kstrtobool() - read a boolean word as Linux does. Only the first
 * character decides, or the first two for "on"/"off": 'y', 'Y', 't', 'T'
 * and '1' are true; 'n', 'N', 'f', 'F' and '0' are false; "o" followed by
 * 'n' or 'N' is true, by 'f' or 'F' false. So "yes", "true" and "on" are
 * true, "no", "false" and "off" false.
 * @s: the text (NULL is refused)
 * @res: receives the value; untouched on error
 * Context: any.
 * Return: 0, or -EINVAL for NULL, "" and any other first character.
 */
int kstrtobool(const char *s, bool *res);

#endif /* KMM_LIB_KSTRTOX_H */
