package dev.tropism.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The prices of {@code tropism.pricing.*}: what a second of a device class costs, and what serving costs.
 *
 * <p>A device class is how the ledger names what a launch trained on: {@code cpu}, {@code cuda} (a GPU whose model
 * matches no configured price, or is unknown) or {@code gpu:<model>} (the {@code <model>} of a matching
 * {@code tropism.pricing.gpu.<model>-second}).
 */
@Component
public class Pricing {

    /** Money is kept to 9 decimal places (the ledger's NUMERIC(24, 9)). */
    public static final int SCALE = 9;
    public static final String CPU = "cpu";
    public static final String CUDA = "cuda";
    private static final String GPU_PREFIX = "gpu:";

    private final PricingProperties properties;

    public Pricing(PricingProperties properties) {
        this.properties = properties;
    }

    public String currency() {
        return properties.currency();
    }

    /**
     * The device class of a launch.
     *
     * @param cuda whether it trains on a CUDA GPU
     * @param gpuModel the GPU's name as the driver reports it; null when unknown (or on the CPU)
     */
    public String deviceClass(boolean cuda, String gpuModel) {
        if (!cuda) {
            return CPU;
        }
        if (gpuModel != null) {
            String name = "-" + slug(gpuModel) + "-";
            String best = null;
            for (String key : properties.gpu().keySet()) {
                String model = key.substring(0, key.length() - PricingProperties.GPU_SUFFIX.length());
                if (name.contains("-" + model + "-") && (best == null || model.length() > best.length())) {
                    best = model; // the most specific match: h100-sxm before h100
                }
            }
            if (best != null) {
                return GPU_PREFIX + best;
            }
        }
        return CUDA;
    }

    /** The price of one second of {@code deviceClass}; an unknown class is priced as {@code cuda} unless it is cpu. */
    public BigDecimal perSecond(String deviceClass) {
        if (CPU.equals(deviceClass)) {
            return properties.cpuSecond();
        }
        if (deviceClass != null && deviceClass.startsWith(GPU_PREFIX)) {
            BigDecimal price = properties.gpu().get(deviceClass.substring(GPU_PREFIX.length())
                    + PricingProperties.GPU_SUFFIX);
            if (price != null) {
                return price;
            }
        }
        return properties.cudaSecond();
    }

    /** {@code seconds} of {@code deviceClass}, rounded half-up to {@link #SCALE} places. */
    public BigDecimal deviceTime(String deviceClass, double seconds) {
        return money(perSecond(deviceClass).multiply(BigDecimal.valueOf(seconds)));
    }

    /** What serving these tokens and images cost. */
    public BigDecimal serving(long promptTokens, long completionTokens, long images) {
        return money(properties.promptToken().multiply(BigDecimal.valueOf(promptTokens))
                .add(properties.completionToken().multiply(BigDecimal.valueOf(completionTokens)))
                .add(properties.image().multiply(BigDecimal.valueOf(images))));
    }

    /** The training throughput FLOP estimates assume on {@code cpu} or {@code cuda}. */
    public double assumedFlopsPerSecond(boolean cuda) {
        return properties.assumedFlopsPerSecond().get(cuda ? CUDA : CPU);
    }

    /** The configured GPU prices, keyed {@code <model>-second}. */
    public Map<String, BigDecimal> gpuPrices() {
        return properties.gpu();
    }

    static BigDecimal money(BigDecimal amount) {
        return amount.setScale(SCALE, RoundingMode.HALF_UP);
    }

    /** Lower case, every run of characters other than letters and digits made one {@code -}, none at the ends. */
    static String slug(String text) {
        String s = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return s.replaceAll("^-+|-+$", "");
    }
}
