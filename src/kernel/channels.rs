//! The kernel's five sockets, served on a tokio thread of their own. Shell requests go to the
//! main thread one at a time (Jupyter's shell is sequential) between a `busy` and an `idle`
//! status; control (kernel info, interrupt, shutdown) and heartbeat answer at once even while
//! a cell runs; everything for iopub goes through one queue, so it leaves in order.

use super::Job;
use super::capture::Log;
use jupyter_protocol::{
    ConnectionInfo, ExecuteReply, HelpLink, InterruptReply, IoPubWelcome, JupyterMessage,
    JupyterMessageContent, KernelInfoReply, LanguageInfo, ReplyStatus, ShutdownReply, Status,
};
use jupyter_zmq_client::{
    RuntimeError, SubscriptionEvent, create_kernel_control_connection,
    create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection,
};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

pub struct Sockets {
    pub info: ConnectionInfo,
    pub jobs: std::sync::mpsc::Sender<Job>,
    pub iopub_tx: UnboundedSender<JupyterMessage>,
    pub iopub_rx: UnboundedReceiver<JupyterMessage>,
    /// The session's interrupt flag: a running cell stops at its next step when it is set.
    pub interrupt: Arc<AtomicBool>,
    pub log: Log,
}

/// The kernel_info reply (protocol 5.3).
pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".into(),
        implementation: "ganbook".into(),
        implementation_version: env!("CARGO_PKG_VERSION").into(),
        language_info: LanguageInfo {
            name: super::install::LANGUAGE.into(),
            version: "1".into(),
            mimetype: Some("text/x-rhai".into()),
            file_extension: Some(".rhai".into()),
            pygments_lexer: Some("rust".into()),
            codemirror_mode: Some(jupyter_protocol::CodeMirrorMode::Simple("rust".into())),
            nbconvert_exporter: Some("script".into()),
        },
        banner: format!(
            "ganbook {} on {}: Rhai cells for GAN experiments; :help lists functions",
            env!("CARGO_PKG_VERSION"),
            crate::device::current_name()
        ),
        help_links: vec![HelpLink {
            text: "The Rhai language (ganbook's functions: :help)".into(),
            url: "https://rhai.rs/book/".into(),
        }],
        debugger: false,
        error: None,
    }
}

/// Errors that mean one bad message (refused, the kernel goes on), not a dead socket.
fn is_bad_message(e: &RuntimeError) -> bool {
    !matches!(e, RuntimeError::ZmqError(_) | RuntimeError::IoError(_))
}

impl Sockets {
    /// Binds the sockets and serves them until shutdown (or a socket fails).
    pub fn serve(self) -> jupyter_zmq_client::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(self.run())
    }

    async fn run(self) -> jupyter_zmq_client::Result<()> {
        let Sockets {
            info,
            jobs,
            iopub_tx,
            mut iopub_rx,
            interrupt,
            log,
        } = self;
        let session = uuid_like();
        let mut heartbeat = create_kernel_heartbeat_connection(&info).await?;
        let shell = create_kernel_shell_connection(&info, &session).await?;
        let (mut shell_out, mut shell_in) = shell.split();
        let mut control = create_kernel_control_connection(&info, &session).await?;
        let _stdin = create_kernel_stdin_connection(&info, &session).await?;
        let mut iopub = create_kernel_iopub_xpub_connection(&info, &session).await?;
        log.say(&format!("listening on {}:{}", info.ip, info.shell_port));

        tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });

        let iopub_log = log.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    msg = iopub_rx.recv() => match msg {
                        Some(m) => {
                            if let Err(e) = iopub.send(m).await {
                                iopub_log.say(&format!("iopub: {e}"));
                            }
                        }
                        None => break,
                    },
                    event = iopub.recv_subscription() => {
                        if let Ok(SubscriptionEvent::Subscribe(topic)) = event {
                            let _ = iopub.send(IoPubWelcome::new(topic).into()).await;
                        }
                    }
                }
            }
        });

        let control_jobs = jobs.clone();
        let control_log = log.clone();
        let control_iopub = iopub_tx.clone();
        tokio::spawn(async move {
            loop {
                let msg = match control.read().await {
                    Ok(m) => m,
                    Err(e) if is_bad_message(&e) => {
                        control_log.say(&format!("control: message refused: {}", refusal(&e)));
                        continue;
                    }
                    Err(e) => {
                        control_log.say(&format!("control socket failed: {e}"));
                        break;
                    }
                };
                let _ = control_iopub.send(Status::busy().as_child_of(&msg));
                let reply: Option<JupyterMessageContent> = match &msg.content {
                    JupyterMessageContent::KernelInfoRequest(_) => Some(kernel_info().into()),
                    JupyterMessageContent::InterruptRequest(_) => {
                        interrupt.store(true, Ordering::Relaxed);
                        Some(InterruptReply::new().into())
                    }
                    JupyterMessageContent::ShutdownRequest(req) => {
                        let reply = ShutdownReply {
                            restart: req.restart,
                            status: ReplyStatus::Ok,
                            error: None,
                        };
                        let _ = control.send(JupyterMessage::new(reply, Some(&msg))).await;
                        let _ = control_iopub.send(Status::idle().as_child_of(&msg));
                        interrupt.store(true, Ordering::Relaxed);
                        let _ = control_jobs.send(Job::Shutdown);
                        // The main thread writes run.json and exits; should a cell not stop
                        // in time, the process ends anyway.
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        control_log.say("a cell did not stop within 5 s of shutdown: exiting");
                        std::process::exit(0);
                    }
                    _ => None,
                };
                if let Some(r) = reply {
                    let _ = control.send(JupyterMessage::new(r, Some(&msg))).await;
                }
                let _ = control_iopub.send(Status::idle().as_child_of(&msg));
            }
        });

        // requests read while aborting, to be served after the failed cell's reply
        let mut deferred: VecDeque<JupyterMessage> = VecDeque::new();
        loop {
            let msg = match deferred.pop_front() {
                Some(m) => m,
                None => match shell_in.read().await {
                    Ok(m) => m,
                    Err(e) if is_bad_message(&e) => {
                        log.say(&format!("shell: message refused: {}", refusal(&e)));
                        continue;
                    }
                    Err(e) => {
                        log.say(&format!("shell socket failed: {e}"));
                        return Err(e);
                    }
                },
            };
            let _ = iopub_tx.send(Status::busy().as_child_of(&msg));
            let reply = if let JupyterMessageContent::KernelInfoRequest(_) = &msg.content {
                Some(JupyterMessage::new(kernel_info(), Some(&msg)))
            } else {
                let (tx, rx) = tokio::sync::oneshot::channel();
                if jobs.send(Job::Shell(Box::new(msg.clone()), tx)).is_err() {
                    return Ok(()); // the main thread has ended (shutdown)
                }
                rx.await.ok().flatten()
            };
            if let Some(r) = &reply
                && stops_the_queue(&msg, r)
            {
                // "Run All" sent the cells below at once: a failed cell stops them, as
                // ipykernel does (each gets an `aborted` reply), before its own reply goes
                let mut aborted = Vec::new();
                while let Ok(Ok(queued)) =
                    tokio::time::timeout(Duration::from_millis(5), shell_in.read()).await
                {
                    if let JupyterMessageContent::ExecuteRequest(_) = &queued.content {
                        aborted.push(queued);
                    } else {
                        deferred.push_back(queued);
                    }
                }
                for queued in aborted {
                    let _ = iopub_tx.send(Status::busy().as_child_of(&queued));
                    let abort = ExecuteReply {
                        status: ReplyStatus::Aborted,
                        ..Default::default()
                    };
                    shell_out
                        .send(JupyterMessage::new(abort, Some(&queued)))
                        .await?;
                    let _ = iopub_tx.send(Status::idle().as_child_of(&queued));
                }
            }
            if let Some(r) = reply {
                shell_out.send(r).await?;
            }
            let _ = iopub_tx.send(Status::idle().as_child_of(&msg));
        }
    }
}

/// Whether a reply is a failed cell's whose request asked to stop the queue on an error.
fn stops_the_queue(request: &JupyterMessage, reply: &JupyterMessage) -> bool {
    let stop = matches!(&request.content,
        JupyterMessageContent::ExecuteRequest(r) if r.stop_on_error && !r.silent);
    let failed = matches!(&reply.content,
        JupyterMessageContent::ExecuteReply(r) if r.status == ReplyStatus::Error);
    stop && failed
}

/// Why a message was refused, in words (a bad signature's own error says only "Unspecified").
fn refusal(e: &RuntimeError) -> String {
    match e {
        RuntimeError::VerifyError(_) => {
            "its HMAC signature does not match the connection file's key".into()
        }
        other => other.to_string(),
    }
}

/// A session id for this kernel's messages: random, as uuid4 strings are.
fn uuid_like() -> String {
    use rand::Rng;
    let mut r = rand::rng();
    format!("{:016x}{:016x}", r.random::<u64>(), r.random::<u64>())
}
