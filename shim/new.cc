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
 * Locking: none here; see shim/malloc.c.
 */
#include <cstdlib>
#include <new>

#include <malloc.h>

namespace {

void *alloc_or_throw(std::size_t size)
{
	for (;;) {
		void *p = std::malloc(size ? size : 1);
		if (p)
			return p;
		std::new_handler h = std::get_new_handler();
		if (!h)
			throw std::bad_alloc();
		h();
	}
}

void *alloc_nothrow(std::size_t size) noexcept
{
	try {
		return alloc_or_throw(size);
	} catch (...) {
		return nullptr;
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
		std::new_handler h = std::get_new_handler();
		if (!h)
			throw std::bad_alloc();
		h();
	}
}

void *aligned_nothrow(std::size_t size, std::align_val_t al) noexcept
{
	try {
		return aligned_or_throw(size, al);
	} catch (...) {
		return nullptr;
	}
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
