// SPDX-License-Identifier: MIT
/*
 * cli/trace.h - the trace recorder and reader of the kmm command
 * (cli/trace.c); the file format is docs/trace-format.md.
 */
#ifndef KMM_CLI_TRACE_H
#define KMM_CLI_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * trace_record_start() - write every event in @mask of every machine booted
 * from now on to @path ("-": standard output).
 * Return: 0, or -1 with @err saying why (nothing is recording then).
 */
int trace_record_start(const char *path, uint64_t mask, char *err, size_t len);

/**
 * trace_record_stop() - stop recording and close the file. Call it after the
 * machines recorded have shut down.
 * Return: 0, or -1 with @err set when a write failed.
 */
int trace_record_stop(char *err, size_t len);

/** trace_parse_events() - "all" or "name,name,...": a mask, or 0 with @err set. */
uint64_t trace_parse_events(const char *list, char *err, size_t len);

/**
 * trace_report() - per machine, how many events of each kind the trace
 * @path holds, printed to @out.
 * Return: 0, or -1 with @err naming the file and line that is not the format.
 */
int trace_report(const char *path, FILE *out, char *err, size_t len);

#endif /* KMM_CLI_TRACE_H */
