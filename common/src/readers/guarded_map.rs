//! `GuardedMap`: a read-only memory map of a local file whose faults are
//! errors, not deaths. Reading a mapped page that the file no longer has
//! (another process truncated it) or that the disk or NFS cannot deliver
//! raises SIGBUS, which kills the process (the executor, or the user's
//! Jupyter kernel in local mode). The JVM turns the same fault on a
//! `MappedByteBuffer` into an exception; this does the same for our maps:
//!
//! - every live map is registered in a fixed table of address ranges;
//! - a SIGBUS handler, installed the first time a map is made (and again
//!   whenever someone replaced it), looks the faulting address up; if it
//!   lies in one of our maps, it maps zero pages over the rest of that map
//!   (so the read goes on, harmlessly) and marks the map as faulted;
//!   otherwise it hands the signal to the handler that was there before
//!   (Rust's stack-overflow handler, Python's `faulthandler`, or the
//!   default action), so foreign faults behave exactly as they did;
//! - the reader calls `check` after each window it summarized and turns a
//!   fault into a `ReadError`, throwing the window's statistics away.
//!
//! Why map at all, when positioned reads cannot fault: a `pread` copies
//! each byte out of the page cache before the kernel reads it, which costs
//! a third of local mode's speed on a warm file; a map lets the
//! statistics kernel read the page cache itself.

use std::fs::File;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use memmap2::{Mmap, MmapOptions};

/// Maps that may be live at once; past this, readers fall back to
/// positioned reads (`GuardedMap::new` gives `None`).
const SLOTS: usize = 256;

/// A slot's states: free, being filled or emptied, or live (the handler
/// only reads live slots).
const FREE: u8 = 0;
const BUSY: u8 = 1;
const LIVE: u8 = 2;

/// One registered map: its address range and whether it faulted.
struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    end: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SLOT: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static REGISTRY: [Slot; SLOTS] = [EMPTY_SLOT; SLOTS];

/// The SIGBUS action that was installed before ours, called for faults
/// outside our maps: its handler address and its flags.
static PREVIOUS_HANDLER: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
static PREVIOUS_FLAGS: AtomicUsize = AtomicUsize::new(0);

/// Serializes installing the handler.
static INSTALL: Mutex<()> = Mutex::new(());

/// The page size, read once when the handler is installed, so the handler
/// needs no library call to know it.
static PAGE_BYTES: AtomicUsize = AtomicUsize::new(4096);

/// A read-only map of a whole file, registered with the SIGBUS guard.
pub struct GuardedMap {
    map: Mmap,
    slot: &'static Slot,
}

impl GuardedMap {
    /// Maps `file` (of `len` bytes) read-only, or `None` when this
    /// platform or the registry cannot guard one more map (the caller then
    /// reads with positioned reads).
    pub fn new(file: &File, len: u64) -> io::Result<Option<GuardedMap>> {
        if !cfg!(target_os = "linux") || len == 0 {
            return Ok(None);
        }
        let Ok(len) = usize::try_from(len) else {
            return Ok(None);
        };
        install_handler()?;
        let Some(slot) = claim_slot() else {
            return Ok(None);
        };
        // SAFETY: the map is only ever read, and a file that changes or
        // shrinks under it is what the guard is for: a fault maps zero
        // pages and is reported by `check` before any value is trusted.
        let map = match unsafe { MmapOptions::new().len(len).map(file) } {
            Ok(map) => map,
            Err(e) => {
                slot.state.store(FREE, Ordering::Release);
                return Err(e);
            }
        };
        let _ = map.advise(memmap2::Advice::Sequential);
        let start = map.as_ptr() as usize;
        slot.start.store(start, Ordering::Relaxed);
        slot.end.store(start + len, Ordering::Relaxed);
        slot.faulted.store(false, Ordering::Relaxed);
        slot.state.store(LIVE, Ordering::Release);
        Ok(Some(GuardedMap { map, slot }))
    }

    /// The file's bytes. Read them, then `check` before trusting what was
    /// computed from them: after a fault, the rest of the map reads zeros.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Errs when a read of this map faulted (the file shrank, or an I/O
    /// error), at any time since the map was made.
    pub fn check(&self) -> Result<(), MapFault> {
        if self.slot.faulted.load(Ordering::Acquire) {
            Err(MapFault)
        } else {
            Ok(())
        }
    }

    /// Drops the pages of `range` (byte offsets) from this process's
    /// memory once read, so resident memory stays flat over a large file.
    /// The file is unchanged: the pages stay in the page cache.
    pub fn release(&self, range: std::ops::Range<usize>) {
        let page = page_size();
        let start = range.start.div_ceil(page) * page;
        let end = range.end.min(self.map.len()) / page * page;
        if start < end {
            // SAFETY: the map is a private read-only map of a file; dropping
            // its pages only makes the next read fault them in again.
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    start,
                    end - start,
                )
            };
        }
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Unregistered before `map` is unmapped (fields drop after this).
        self.slot.state.store(FREE, Ordering::Release);
    }
}

/// A read of a guarded map faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapFault;

fn claim_slot() -> Option<&'static Slot> {
    REGISTRY.iter().find(|slot| {
        slot.state
            .compare_exchange(FREE, BUSY, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })
}

fn page_size() -> usize {
    PAGE_BYTES.load(Ordering::Relaxed)
}

/// Installs `on_sigbus` unless it is the current SIGBUS action, keeping
/// the current one to chain to. Called for every new map, so a handler
/// installed after ours (e.g. `faulthandler.enable()` in a notebook) is
/// chained to rather than left to kill the process on our faults.
fn install_handler() -> io::Result<()> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    PAGE_BYTES.store(
        usize::try_from(page).unwrap_or(4096).max(1),
        Ordering::Relaxed,
    );
    // SAFETY: sigaction with a null new action only reads the current one
    // into `current`, a zeroed sigaction struct.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    if unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let ours = on_sigbus as *const () as usize;
    if current.sa_sigaction == ours {
        return Ok(());
    }
    PREVIOUS_HANDLER.store(current.sa_sigaction, Ordering::Release);
    PREVIOUS_FLAGS.store(current.sa_flags as usize, Ordering::Release);
    // SAFETY: a zeroed sigaction with our handler, SA_SIGINFO (it takes
    // the siginfo) and SA_ONSTACK (an alternate stack, where a thread has
    // one); the mask is emptied by sigemptyset before use.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ours;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    if unsafe { libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The SIGBUS handler: only async-signal-safe work (atomics and `mmap`).
extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    for slot in &REGISTRY {
        if slot.state.load(Ordering::Acquire) != LIVE {
            continue;
        }
        let (start, end) = (
            slot.start.load(Ordering::Relaxed),
            slot.end.load(Ordering::Relaxed),
        );
        if (start..end).contains(&address) && zero_fill(address, end) {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
    }
    chain(signal, info, context);
}

/// Maps zero pages from `address`'s page to `end`, in place of the file's.
fn zero_fill(address: usize, end: usize) -> bool {
    let page = page_size();
    let first = address / page * page;
    // SAFETY: [first, end) lies inside one of our live read-only maps; the
    // fixed anonymous map replaces its pages with zero pages, which every
    // reader of the map may read (it reports the fault before trusting
    // anything computed from them).
    let mapped = unsafe {
        libc::mmap(
            first as *mut libc::c_void,
            end - first,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    mapped != libc::MAP_FAILED
}

/// A fault that is not ours: hand it to the previous action.
fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let handler = PREVIOUS_HANDLER.load(Ordering::Acquire);
    let flags = PREVIOUS_FLAGS.load(Ordering::Acquire) as libc::c_int;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Back to the default action; returning re-runs the faulting
        // instruction, which now ends the process as it would have.
        // SAFETY: signal() with SIG_DFL is async-signal-safe.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    } else if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous action was installed with SA_SIGINFO, so
        // its handler has this signature.
        let previous: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        previous(signal, info, context);
    } else {
        // SAFETY: a plain handler takes the signal number only.
        let previous: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        previous(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Held by the tests that fault or change the SIGBUS action, which
    /// would otherwise see each other's changes.
    static SIGNALS: Mutex<()> = Mutex::new(());

    fn file_of(len: usize) -> (tempfile::NamedTempFile, File) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&vec![7u8; len]).unwrap();
        let handle = file.reopen().unwrap();
        (file, handle)
    }

    #[test]
    fn a_read_past_a_shrunken_end_is_a_fault_not_a_signal() {
        let _signals = SIGNALS.lock().unwrap_or_else(|e| e.into_inner());
        let len = 64 << 10;
        let (file, handle) = file_of(len);
        let map = GuardedMap::new(&handle, len as u64).unwrap().unwrap();
        let (other_file, other_handle) = file_of(len);
        let other = GuardedMap::new(&other_handle, len as u64).unwrap().unwrap();
        assert_eq!(map.bytes()[len - 1], 7);
        assert_eq!(map.check(), Ok(()));
        file.as_file().set_len(1000).unwrap();
        // Past the new end: the guard maps zeros and marks the map.
        let past: u64 = map.bytes()[8192..].iter().map(|&b| u64::from(b)).sum();
        assert_eq!(past, 0);
        assert_eq!(map.check(), Err(MapFault));
        // Another map is untouched.
        assert_eq!(other.bytes()[len - 1], 7);
        assert_eq!(other.check(), Ok(()));
        drop((map, other, other_file));
    }

    /// Stands for a handler installed after ours (`faulthandler.enable()`
    /// in a notebook between two jobs): it must never see our faults.
    extern "C" fn later_handler(_: libc::c_int) {
        // Our fault reached it: fail loudly rather than loop on the fault.
        unsafe { libc::_exit(99) };
    }

    #[test]
    fn a_handler_installed_after_ours_is_chained_behind_it() {
        let _signals = SIGNALS.lock().unwrap_or_else(|e| e.into_inner());
        let len = 64 << 10;
        let (first_file, first_handle) = file_of(len);
        let first = GuardedMap::new(&first_handle, len as u64).unwrap().unwrap();
        // SAFETY: installs a plain handler for SIGBUS, as a library would.
        unsafe {
            libc::signal(
                libc::SIGBUS,
                later_handler as *const () as libc::sighandler_t,
            )
        };
        // A new map puts ours back in front, chained to the later one.
        let (file, handle) = file_of(len);
        let map = GuardedMap::new(&handle, len as u64).unwrap().unwrap();
        assert_eq!(
            PREVIOUS_HANDLER.load(Ordering::Acquire),
            later_handler as *const () as usize
        );
        file.as_file().set_len(0).unwrap();
        first_file.as_file().set_len(0).unwrap();
        assert_eq!(map.bytes()[100], 0);
        assert_eq!(first.bytes()[len - 1], 0);
        assert_eq!((map.check(), first.check()), (Err(MapFault), Err(MapFault)));
    }

    #[test]
    fn dropped_maps_give_their_slots_back() {
        let (_file, handle) = file_of(4096);
        for _ in 0..2 * SLOTS {
            let map = GuardedMap::new(&handle, 4096).unwrap();
            assert!(map.is_some());
        }
    }
}
