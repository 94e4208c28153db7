//! What a run leaves behind when the process dies on a signal no code can recover from: a GPU
//! driver that crashes compiling a kernel (SIGSEGV inside the driver, as Mesa's lavapipe does
//! with burn's SPIR-V matmul: docs/gpu.md), a bus error, an abort. Instead of a bare
//! "Segmentation fault" the user gets one line naming the signal, the device and the last
//! operation ganbook started there, and the run folder gets a run.json with status "crashed".
//! Checkpoints are always written whole (temp file, then rename), so a crash never takes the
//! last good one with it; metrics.jsonl holds what was flushed (at most a second old).
//!
//! The handler may only make async-signal-safe calls (write, open, rename, _exit), so
//! everything it writes is prepared when the guard is armed, except the signal's name and
//! the operation, which are static strings.

use crate::device;
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The exit code of a run that crashed (see `run::run`).
pub const EXIT_CRASHED: i32 = 4;

/// What the handler writes, prepared in advance.
struct Prepared {
    /// `device 'wgpu'`.
    device: Vec<u8>,
    gpu: bool,
    /// burn's SPIR-V path, which crashes drivers without explicit workgroup memory layouts.
    vulkan: bool,
    /// run.json and its temporary name, when there is a run folder.
    run_json: Option<(CString, CString)>,
    /// run.json's text up to the error message, and after it.
    head: Vec<u8>,
    tail: Vec<u8>,
}

static ARMED: AtomicPtr<Prepared> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the handler for this process, for a session on device `name` (armed before the
/// device starts, since starting it is the first place a driver can crash). `run` is the
/// run folder and the run's fixed run.json fields (script, started) once there is one.
pub fn arm(name: &str, run: Option<(&Path, serde_json::Value)>) {
    let (run_json, head, tail) = match run {
        Some((out_dir, fields)) => prepared_record(out_dir, name, fields),
        None => (None, Vec::new(), Vec::new()),
    };
    let prepared = Box::new(Prepared {
        device: format!("device '{name}'").into_bytes(),
        gpu: device::is_gpu(name),
        vulkan: name == "vulkan",
        run_json,
        head,
        tail,
    });
    let old = ARMED.swap(Box::into_raw(prepared), Ordering::AcqRel);
    // the old one may be read by a handler running right now on another thread: leak it
    let _ = old;
    install();
}

/// run.json's two paths and its text around the error message.
fn prepared_record(
    out_dir: &Path,
    device: &str,
    mut fields: serde_json::Value,
) -> (Option<(CString, CString)>, Vec<u8>, Vec<u8>) {
    let path = out_dir.join("run.json");
    let tmp = out_dir.join(".run.json.crash");
    let (Ok(path), Ok(tmp)) = (
        CString::new(path.as_os_str().as_encoded_bytes()),
        CString::new(tmp.as_os_str().as_encoded_bytes()),
    ) else {
        return (None, Vec::new(), Vec::new());
    };
    fields["device"] = device.into();
    fields["status"] = "crashed".into();
    fields["ganbook_version"] = env!("CARGO_PKG_VERSION").into();
    let text = serde_json::to_string_pretty(&fields).unwrap_or_else(|_| "{}".into());
    let body = text.trim_end().trim_end_matches('}').trim_end();
    let comma = if body.ends_with('{') { "" } else { "," };
    let head = format!("{body}{comma}\n  \"error\": \"");
    (Some((path, tmp)), head.into_bytes(), b"\"\n}\n".to_vec())
}

fn install() {
    // SAFETY: a plain sigaction call with a handler that only makes async-signal-safe calls;
    // SA_ONSTACK runs it on the thread's alternate stack where Rust set one up.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_fatal_signal as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGABRT,
        ] {
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

fn signal_name(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV, an invalid memory access",
        libc::SIGBUS => "SIGBUS, a bus error",
        libc::SIGILL => "SIGILL, an illegal instruction",
        libc::SIGFPE => "SIGFPE, an arithmetic fault",
        libc::SIGABRT => "SIGABRT, an abort",
        _ => "a fatal signal",
    }
}

extern "C" fn on_fatal_signal(sig: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let p = ARMED.load(Ordering::Acquire);
    // SAFETY: `p` is null or a leaked Box that is never freed.
    let prepared = unsafe { p.as_ref() };
    let signal = signal_name(sig).as_bytes();
    let doing = device::doing().as_bytes();
    let mut message: [&[u8]; 8] = [
        b"ganbook crashed (",
        signal,
        b") on ",
        b"the current device",
        b" during ",
        doing,
        b"",
        b"",
    ];
    if let Some(p) = prepared {
        message[3] = &p.device;
        if p.gpu {
            message[6] = b", most likely inside the GPU driver (see docs/gpu.md); checkpoints saved before it are intact";
        }
        if p.vulkan {
            message[7] = b". burn 0.22's SPIR-V kernels crash Vulkan drivers that lack VK_KHR_workgroup_memory_explicit_layout, such as Mesa's lavapipe: use --device wgpu (cargo build --release --features wgpu)";
        }
    }
    write_all(2, b"\nerror: ");
    for part in message {
        write_all(2, part);
    }
    write_all(2, b"\n");
    if let Some(Prepared {
        run_json: Some((path, tmp)),
        head,
        tail,
        ..
    }) = prepared
    {
        // SAFETY: open/write/close/rename are async-signal-safe; the paths are NUL-terminated.
        unsafe {
            let fd = libc::open(
                tmp.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                0o644,
            );
            if fd >= 0 {
                write_all(fd, head);
                for part in message {
                    write_all(fd, part);
                }
                write_all(fd, tail);
                libc::close(fd);
                libc::rename(tmp.as_ptr(), path.as_ptr());
                write_all(2, b"run.json says status \"crashed\"\n");
            }
        }
    }
    // SAFETY: _exit is async-signal-safe and ends the process without running destructors.
    unsafe { libc::_exit(EXIT_CRASHED) };
}

fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: write(2) on a valid slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
