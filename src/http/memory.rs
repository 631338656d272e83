//! Giving freed memory back to the operating system.

/// Returns free heap pages of every allocator arena to the OS. glibc keeps freed memory in the
/// thread's arena, where an export's readers leave theirs (`evaluation::engine`), as does the
/// worker that builds the spec (`http::openapi::Served`). Elsewhere this does nothing.
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Allocations from this size on are mapped from the OS on their own and unmapped when freed.
pub const OWN_MAPPING_FROM: usize = 1 << 20;

/// Makes glibc serve every allocation of [`OWN_MAPPING_FROM`] or more with a mapping of its own,
/// which goes back to the OS when freed. By default glibc raises that threshold to the size of the
/// largest such block freed so far, and from then on keeps blocks of that size in the arenas: each
/// password check (argon2, 19 MiB) then stayed resident in its thread's arena, and 30 logins left
/// 165 MB behind (64 at once: 400 MB). Elsewhere this does nothing.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM as libc::c_int);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Bytes in blocks that have a mapping of their own.
    fn mapped_bytes() -> usize {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        unsafe { libc::mallinfo2().hblkhd }
    }

    /// In a process of its own: in the test process, other tests running at the same time may
    /// have freed large blocks into an arena before the threshold was fixed, and the block would
    /// then be served from there (as it never is in the server, which fixes it at start-up).
    #[test]
    fn a_large_block_is_mapped_on_its_own_even_after_one_was_freed() {
        const ALONE: &str = "WILKAN_MEMORY_TEST_ALONE";
        if std::env::var_os(ALONE).is_some() {
            return large_block_is_mapped();
        }
        let name = "http::memory::tests::a_large_block_is_mapped_on_its_own_even_after_one_was_freed";
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(ALONE, "1")
            .output()
            .expect("test binary runs");
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && log.contains("1 passed"), "{log}{}", String::from_utf8_lossy(&out.stderr));
    }

    fn large_block_is_mapped() {
        map_large_blocks();
        let size = 20 << 20;
        // Without the fixed threshold, freeing this first block raises the threshold above 20 MiB...
        drop(std::hint::black_box(vec![1u8; size]));
        // ...and the second block would come from an arena, to stay there after it is freed.
        let second = std::hint::black_box(vec![1u8; size]);
        assert!(mapped_bytes() >= size, "a {size}-byte block was served from an arena");
        drop(second);
    }
}
