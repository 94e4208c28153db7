use burn::tensor::{Distribution, Tensor};
use ganbook::nn::activation_cpu;
use ganbook::nn::stateless::Op;
use ganbook::tensor::DynTensor;
use std::time::Instant;
fn main() {
    let dev = ganbook::device::current();
    let x = Tensor::<4>::random([64, 64, 16, 16], Distribution::Normal(0.0, 1.0), &dev);
    let w = Tensor::<4>::random([64, 64, 16, 16], Distribution::Normal(0.0, 1.0), &dev);
    for _ in 0..5 {
        let xr = x.clone().require_grad();
        let t = Instant::now();
        let y = activation_cpu::forward(&DynTensor::new(xr.clone()), &Op::Relu)
            .unwrap()
            .ranked::<4>("a")
            .unwrap();
        let t1 = t.elapsed();
        let l = (y * w.clone()).sum();
        let t2 = t.elapsed();
        let g = l.backward();
        let t3 = t.elapsed();
        let _ = xr.grad(&g).unwrap().into_data();
        let t4 = t.elapsed();
        println!("fwd {t1:?} loss {t2:?} bwd {t3:?} read {t4:?}");
    }
    for _ in 0..3 {
        let xr = x.clone().require_grad();
        let t = Instant::now();
        let y = burn::tensor::activation::relu(xr.clone());
        let t1 = t.elapsed();
        let l = (y * w.clone()).sum();
        let t2 = t.elapsed();
        let g = l.backward();
        let t3 = t.elapsed();
        let _ = xr.grad(&g).unwrap().into_data();
        let t4 = t.elapsed();
        println!("burn fwd {t1:?} loss {t2:?} bwd {t3:?} read {t4:?}");
    }
}
