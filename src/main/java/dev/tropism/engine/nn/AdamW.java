package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2): Adam moments with bias correction and weight decay
 * decoupled from the gradient, applied only to the parameters named in {@code decayed} (matrices, as in
 * nanoGPT). Written here rather than using DJL's Adam because a resumable checkpoint needs the moment
 * estimates, which DJL's optimizer keeps private.
 */
public final class AdamW implements AutoCloseable {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Set<String> decayed;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long t;

    public AdamW(Map<String, NDArray> params, Set<String> decayed, double beta1, double beta2, double eps,
            double weightDecay, NDManager parent) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decayed = Set.copyOf(decayed);
        this.manager = parent.newSubManager();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    /** Update count so far (t in the paper). */
    public long steps() {
        return t;
    }

    /**
     * One update with learning rate {@code lr}: θ ← θ − lr·(m̂/(√v̂ + ε) + λθ). Gradients are read
     * from the parameters, scaled by {@code gradScale} (global-norm clipping), and zeroed afterwards.
     */
    public void step(Map<String, NDArray> params, double lr, double gradScale) {
        Gradients.gradModeOff(); // in-place updates of leaves that require grad
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        try (NDManager step = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray theta = e.getValue();
                NDArray grad = theta.getGradient();
                grad.attach(step);
                NDArray g = grad.mul(gradScale);
                NDArray mi = m.get(e.getKey());
                NDArray vi = v.get(e.getKey());
                mi.muli(beta1).addi(g.mul(1 - beta1));
                vi.muli(beta2).addi(g.square().muli(1 - beta2));
                // Results land in the manager of their first operand: attach each to this step's.
                NDArray update = mi.div(bc1); // m̂
                update.attach(step);
                NDArray vHat = vi.div(bc2);
                vHat.attach(step);
                update.divi(vHat.sqrt().addi(eps)); // sqrt() lands in step's manager, vHat's

                if (weightDecay > 0 && decayed.contains(e.getKey())) {
                    NDArray decay = theta.mul(weightDecay);
                    decay.attach(step);
                    update.addi(decay);
                }
                theta.subi(update.muli(lr));
                grad.subi(grad); // zero in place: GradientCollector accumulates otherwise (DJL notes)
            }
        }
    }

    /** Writes the moments as {@link NamedArrays}: {@code m.<name>} and {@code v.<name>} of each parameter, in order. */
    public void save(OutputStream out) throws IOException {
        Map<String, NDArray> moments = new LinkedHashMap<>();
        for (String k : m.keySet()) {
            moments.put("m." + k, m.get(k));
            moments.put("v." + k, v.get(k));
        }
        NamedArrays.write(moments, out);
    }

    public void load(InputStream in, long steps) throws IOException {
        try (NDManager tmp = manager.newSubManager()) {
            for (NDArray a : NDList.decode(tmp, in)) {
                String name = a.getName();
                Map<String, NDArray> target = name.startsWith("m.") ? m : v;
                NDArray dst = target.get(name.substring(2));
                if (dst == null) {
                    throw new IOException("optimizer state names unknown parameter " + name);
                }
                dst.set(new NDIndex("..."), a); // in place, not set(Buffer): see Gradients.zero
            }
        }
        this.t = steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
