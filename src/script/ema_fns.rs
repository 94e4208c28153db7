//! `ema(G, decay)` and `G_ema.update(G)`: an exponential moving average of a generator's
//! weights, sampled from instead of G (nn/ema.rs does the arithmetic).

use super::convert::{ScriptResult, call};
use super::def;
use crate::bail;
use crate::nn::ema;
use crate::nn::model::Model;
use rhai::{Engine, FLOAT};

pub fn register(e: &mut Engine) {
    def(
        e,
        "ema",
        "ema(model, decay) -> Model\nAn exponential moving average of the model's weights (the EMA generator of ProGAN, StyleGAN, BigGAN, StudioGAN): a copy with its own parameters, no gradients. Call G_ema.update(G) after each optimizer step of G: every weight becomes decay * its average + (1 - decay) * G's (decay 0.999 is usual; 0.9999 for long runs), batch norm's running statistics are copied. Sample and measure FID from G_ema (G_ema.eval() as for G).",
        |m: &mut Model, decay: FLOAT| {
            call("ema", || {
                if !(0.0..=1.0).contains(&decay) {
                    bail!("decay must be in [0, 1], got {decay}");
                }
                let s = m.state();
                let average = Model::new(ema::start(&s.seq));
                {
                    let mut a = average.state();
                    a.training = s.training;
                    a.frozen = true;
                    a.ema_decay = Some(decay);
                }
                Ok(average)
            })
        },
    );
    def(
        e,
        "update",
        "update(average, model)\nMoves an average made by ema(model, decay) towards the model: weights by 1 - decay, batch norm's running statistics copied.",
        |average: &mut Model, model: Model| -> ScriptResult<()> {
            call("update", || {
                if average.same(&model) {
                    bail!(
                        "update the average with the model it follows: G_ema.update(G), not G.update(G)"
                    );
                }
                let source = model.state().seq.clone();
                let mut a = average.state();
                let Some(decay) = a.ema_decay else {
                    bail!("this model is no average: make one with let G_ema = ema(G, 0.999)");
                };
                let seq = a.seq.clone();
                a.seq = ema::update(seq, &source, decay)?;
                Ok(())
            })
        },
    );
}
