package dev.tropism.rewards.image;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderNumbers;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code image_stat}: a pixel statistic of an image sample, each in [0, 1] — deliberately hackable proxies
 * (a policy can raise any of them without drawing a better garment), useful to demonstrate reward hacking
 * and as cheap shaping terms. Pure Java. For x the [0, 1] pixels of an S×S image, N = S²:
 * <ul>
 *   <li>{@code brightness} = (1/N) Σ x;</li>
 *   <li>{@code contrast} = sqrt((1/N) Σ (x − mean)²), the population standard deviation (at most 0.5);</li>
 *   <li>{@code ink_mass} = (1/N) #{x &gt; 0.5}, the share of stroke pixels (stroke thickness);</li>
 *   <li>{@code symmetry} = 1 − (1/N) Σ_{r,c} |x[r][c] − x[r][S−1−c]| (left-right mirror);</li>
 *   <li>{@code centering} = 1 − ‖m − o‖ / h: m the intensity-weighted centre of mass in pixel coordinates,
 *       o = ((S−1)/2, (S−1)/2) the centre, h = (S−1)/√2 the distance from o to a corner pixel; 0 for a
 *       blank image (it has no centre of mass).</li>
 * </ul>
 * With {@code target} t ∈ [0, 1] the score is 1 − |stat − t| (e.g. "medium ink" rather than "more ink").
 * A text sample is an {@code unsupported} error.
 */
public final class ImageStatGrader extends PerSampleGrader {

    enum Stat {
        BRIGHTNESS, CONTRAST, INK_MASS, SYMMETRY, CENTERING;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        double of(float[] x, int side) {
            return switch (this) {
                case BRIGHTNESS -> mean(x);
                case CONTRAST -> contrast(x);
                case INK_MASS -> inkMass(x);
                case SYMMETRY -> symmetry(x, side);
                case CENTERING -> centering(x, side);
            };
        }
    }

    private final Stat stat;
    /** NaN: no target (the score is the statistic). */
    private final double target;

    ImageStatGrader(String name, Stat stat, double target) {
        super(name);
        this.stat = stat;
        this.target = target;
    }

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        float[] x = sample.image();
        if (x == null) {
            throw unsupported();
        }
        double s = stat.of(x, sample.imageSide());
        return Double.isNaN(target) ? s : 1 - Math.abs(s - target);
    }

    /** The error of an image grader given a text sample. */
    static GradingException unsupported() {
        return new GradingException(GradingException.UNSUPPORTED, "needs an image sample (from a flow-matching"
                + " model, or \"image_b64\" when trying a spec); this sample is text");
    }

    static double mean(float[] x) {
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        return sum / x.length;
    }

    static double contrast(float[] x) {
        double mean = mean(x);
        double sq = 0;
        for (float v : x) {
            sq += (v - mean) * (v - mean);
        }
        return Math.sqrt(sq / x.length);
    }

    static double inkMass(float[] x) {
        int ink = 0;
        for (float v : x) {
            if (v > 0.5f) {
                ink++;
            }
        }
        return ink / (double) x.length;
    }

    static double symmetry(float[] x, int side) {
        double diff = 0;
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                diff += Math.abs(x[r * side + c] - x[r * side + side - 1 - c]);
            }
        }
        return 1 - diff / x.length;
    }

    static double centering(float[] x, int side) {
        double mass = 0;
        double mr = 0;
        double mc = 0;
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                double v = x[r * side + c];
                mass += v;
                mr += v * r;
                mc += v * c;
            }
        }
        if (mass <= 0 || side < 2) {
            return 0;
        }
        double o = (side - 1) / 2.0;
        double halfDiagonal = (side - 1) / Math.sqrt(2);
        return 1 - Math.hypot(mr / mass - o, mc / mass - o) / halfDiagonal;
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "stat", "target");

        @Override
        public String type() {
            return "image_stat";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            Stat stat = null;
            if (GraderOptions.absent(node, "stat")) {
                ctx.violation(pointer + "/stat", "is required: one of " + GraderOptions.names(Stat.class));
            } else {
                stat = GraderOptions.choice(ctx, node, "stat", pointer, Stat.class, null);
            }
            Double target = GraderNumbers.optional(node, "target", pointer, Double.NaN, 0, 1, ctx);
            String name = ctx.name(node, pointer, stat == null ? "image_stat" : stat.wireName());
            if (name == null || stat == null || target == null) {
                return null;
            }
            return new ImageStatGrader(name, stat, target);
        }
    }
}
