//! How ganbook's GEMM convolutions (crates/ganbook-core/src/nn/kernels/conv_gemm.rs) split a batch into runs of samples
//! and spread the runs over threads.
//!
//! A run's column matrix is small enough to stay in cache between its im2col and its matrix
//! product. Runs go to threads whole: each thread's task takes a fixed share of the runs,
//! owns its scratch buffers and its part of the output, and its products run on its own
//! thread (crates/ganbook-core/src/nn/kernels/matmul.rs), so the threads never wait for each other inside a run. A weight
//! gradient is summed per task, then over the tasks in order: the same result on every call.

use super::im2col::Geometry;
use rayon::prelude::*;

/// Column-matrix bytes per run of samples: small enough to stay in cache between its im2col
/// and its matrix product (and to keep the product's output small, which the GEMM runs
/// faster), large enough for the product to stay efficient. 1-8 MiB measured alike within
/// noise at the DCGAN shapes; full-batch column matrices (up to 67 MB) were 1.5x slower.
const RUN_BYTES: usize = 2 << 20;

/// K scratch buffers of one task, sized for the longest run and reused run after run.
pub struct Scratch<const K: usize> {
    /// Values per sample of each buffer.
    per_sample: [usize; K],
    buffers: [Vec<f32>; K],
}

impl<const K: usize> Scratch<K> {
    fn new(per_sample: [usize; K], longest: usize) -> Self {
        Scratch {
            per_sample,
            buffers: per_sample.map(|v| vec![0.0; v * longest]),
        }
    }

    /// The buffers cut to `nb` samples.
    pub fn for_run(&mut self, nb: usize) -> [&mut [f32]; K] {
        let mut sizes = self.per_sample.iter();
        self.buffers.each_mut().map(|b| {
            let per_sample = sizes.next().copied().unwrap_or(0);
            &mut b[..per_sample * nb]
        })
    }
}

/// One run: its first sample, its sample count, and its part of the output (if any).
pub struct Run<'a> {
    pub first: usize,
    pub samples: usize,
    pub out: Option<&'a mut [f32]>,
}

/// Calls `f(scratch, run, acc)` for every run of `g`'s batch, in parallel. `scratch` holds
/// buffers of `per_sample` values per sample; `out` (values, values per sample) is cut into
/// the runs' parts; each task starts an accumulator with `acc`, and all of them are returned.
pub fn par_runs<const K: usize, A: Send>(
    g: &Geometry,
    per_sample: [usize; K],
    out: Option<(&mut [f32], usize)>,
    acc: impl Fn() -> A + Sync + Send,
    f: impl Fn(&mut Scratch<K>, Run<'_>, &mut A) + Sync + Send,
) -> Vec<A> {
    let threads = rayon::current_num_threads().max(1);
    let runs = g.sample_runs(RUN_BYTES, threads);
    let per_run = runs.first().map_or(1, |r| r.1);
    let parts: Vec<Option<&mut [f32]>> = match out {
        Some((values, per)) => values.chunks_mut(per_run * per).map(Some).collect(),
        None => runs.iter().map(|_| None).collect(),
    };
    // one task per thread, each a fixed, contiguous share of the runs: the weight gradient is
    // summed in the same order on every call (reproducible for a given thread count)
    let per_task = runs.len().div_ceil(threads).max(1);
    let mut all = runs.iter().zip(parts).map(|(&(first, samples), out)| Run {
        first,
        samples,
        out,
    });
    let mut groups: Vec<Vec<Run<'_>>> = Vec::new();
    loop {
        let group: Vec<Run<'_>> = all.by_ref().take(per_task).collect();
        if group.is_empty() {
            break;
        }
        groups.push(group);
    }
    groups
        .into_par_iter()
        .map(|group| {
            let (mut scratch, mut a) = (Scratch::new(per_sample, per_run), acc());
            for run in group {
                f(&mut scratch, run, &mut a);
            }
            a
        })
        .collect()
}

/// The sum of the tasks' partial weight gradients (each None when it was not wanted).
pub fn sum_partials(parts: Vec<Option<Vec<f32>>>) -> Option<Vec<f32>> {
    parts.into_iter().flatten().reduce(|mut total, part| {
        for (t, p) in total.iter_mut().zip(&part) {
            *t += p;
        }
        total
    })
}
