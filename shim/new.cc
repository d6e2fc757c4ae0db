// SPDX-License-Identifier: MIT
/*
 * shim/new.cc - C++ operator new and delete on libkmm-malloc.
 *
 * Every replaceable form (plain, array, nothrow, sized, aligned, and their
 * combinations) forwards to the C API in shim/malloc.c, so a C++ program's
 * objects come from kmalloc classes and buddy pages like a C program's.
 *
 * Linux counterpart: none. The standard's rules kept: a throwing new loops on
 * the new_handler and throws std::bad_alloc when there is none; new(0) returns
 * a unique pointer; the nothrow forms return nullptr instead of throwing.
 * Sized deletes ignore the size (free finds it), as glibc's library does.
 *
 * libstdc++ is not a dependency of libkmm-malloc.so: a C program would load
 * it at every start for nothing (1.6 M instructions of relocation and
 * 1.4 MB of RSS per process, measured with /bin/true). What operator new needs
 * of it - std::get_new_handler, and std::__throw_bad_alloc to throw - is
 * declared weak and found in the program, which has libstdc++ whenever it is
 * C++ (without it there is no handler, and a failing throwing new aborts).
 * This file is built without exceptions of its own (-fno-exceptions): a
 * bad_alloc passes through its frames, and a nothrow new whose new_handler
 * may throw lets libstdc++'s own nothrow form (the next definition) catch
 * it around the throwing operator new here.
 *
 * Locking: none here; see shim/malloc.c.
 */
#include <cstdlib>
#include <new>

#include <dlfcn.h>
#include <malloc.h>

namespace std {
void __throw_bad_alloc() __attribute__((__noreturn__, __weak__));
new_handler get_new_handler() noexcept __attribute__((__weak__));
} // namespace std

namespace {

[[noreturn]] void throw_bad_alloc()
{
	if (&std::__throw_bad_alloc)
		std::__throw_bad_alloc();
	std::abort();
}

std::new_handler current_handler()
{
	return &std::get_new_handler ? std::get_new_handler() : nullptr;
}

void *alloc_or_throw(std::size_t size)
{
	for (;;) {
		void *p = std::malloc(size ? size : 1);
		if (p)
			return p;
		std::new_handler h = current_handler();
		if (!h)
			throw_bad_alloc();
		h();
	}
}

void *aligned_or_throw(std::size_t size, std::align_val_t al)
{
	std::size_t align = static_cast<std::size_t>(al);
	if (align < sizeof(void *))
		align = sizeof(void *);
	for (;;) {
		void *p = nullptr;
		if (posix_memalign(&p, align, size ? size : 1) == 0)
			return p;
		std::new_handler h = current_handler();
		if (!h)
			throw_bad_alloc();
		h();
	}
}

const std::nothrow_t nothrow_tag{};	/* std::nothrow is libstdc++'s */

/*
 * The nothrow forms: no handler, nullptr at once; with one (which may throw
 * bad_alloc), libstdc++'s nothrow form, which calls the throwing form above
 * and catches.
 */
void *alloc_nothrow(std::size_t size) noexcept
{
	void *p = std::malloc(size ? size : 1);
	if (p || !current_handler())
		return p;
	auto next = reinterpret_cast<void *(*)(std::size_t, const std::nothrow_t &)>(
		dlsym(RTLD_NEXT, "_ZnwmRKSt9nothrow_t"));
	return next ? next(size, nothrow_tag) : nullptr;
}

void *aligned_nothrow(std::size_t size, std::align_val_t al) noexcept
{
	std::size_t align = static_cast<std::size_t>(al);
	void *p = nullptr;

	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) == 0)
		return p;
	if (!current_handler())
		return nullptr;
	auto next = reinterpret_cast<void *(*)(std::size_t, std::align_val_t, const std::nothrow_t &)>(
		dlsym(RTLD_NEXT, "_ZnwmSt11align_val_tRKSt9nothrow_t"));
	return next ? next(size, al, nothrow_tag) : nullptr;
}

} // namespace

void *operator new(std::size_t n) { return alloc_or_throw(n); }
void *operator new[](std::size_t n) { return alloc_or_throw(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return alloc_nothrow(n); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return alloc_nothrow(n); }
void *operator new(std::size_t n, std::align_val_t a) { return aligned_or_throw(n, a); }
void *operator new[](std::size_t n, std::align_val_t a) { return aligned_or_throw(n, a); }
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
	return aligned_nothrow(n, a);
}
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
	return aligned_nothrow(n, a);
}

void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
