// SPDX-License-Identifier: MIT
/*
 * cli/shell.h - what cli/shell.c and cli/shell_complete.c share: the
 * line-editing library's header (libedit or GNU readline, when the build
 * found one; KMM_SHELL_EDITING says so) and the shell's runner.
 *
 * Linux counterpart: none.
 */
#ifndef KMM_CLI_SHELL_H
#define KMM_CLI_SHELL_H

#include <stdio.h>	/* readline.h needs FILE */

#if defined(KMM_HAVE_LIBEDIT)
#include <editline/readline.h>
#define KMM_SHELL_EDITING 1
#elif defined(KMM_HAVE_READLINE)
#include <readline/history.h>
#include <readline/readline.h>
#define KMM_SHELL_EDITING 1
#else
#define KMM_SHELL_EDITING 0
#endif

struct kmm_ctx;

/* The runner of the shell being run (NULL outside kmm_shell()). */
extern struct kmm_ctx *shell_ctx;

#if KMM_SHELL_EDITING
/** shell_complete_setup() - install Tab completion (cli/shell_complete.c). */
void shell_complete_setup(void);
#endif

#endif /* KMM_CLI_SHELL_H */
