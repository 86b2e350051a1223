package dev.tropism.billing;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.pricing.*}: what device time and serving cost, in {@code currency}. Validated when the application
 * starts: every price is zero or more, and the currency is an ISO 4217 code.
 *
 * @param currency ISO 4217 code, default {@code USD}
 * @param cpuSecond price of one second of a training launch on the CPU
 * @param cudaSecond price of one second on a CUDA GPU whose model matches no entry of {@code gpu}
 * @param gpu prices per second of GPU models, keyed {@code <model>-second} (e.g. {@code h100-second}); a key matches
 *        a GPU whose name as the driver reports it ({@code NVIDIA H100 80GB HBM3}), lower-cased with every run of
 *        other characters than letters and digits made one {@code -}, contains {@code <model>} as a whole word
 * @param promptToken price of one prompt token served
 * @param completionToken price of one completion token served
 * @param image price of one image generated
 * @param assumedFlopsPerSecond the sustained training throughput assumed by FLOP estimates, per device kind
 *        ({@code cpu}, {@code cuda})
 */
@ConfigurationProperties("tropism.pricing")
public record PricingProperties(
        @DefaultValue("USD") String currency,
        @DefaultValue("0.00005") BigDecimal cpuSecond,
        @DefaultValue("0.0008") BigDecimal cudaSecond,
        Map<String, BigDecimal> gpu,
        @DefaultValue("0.0000005") BigDecimal promptToken,
        @DefaultValue("0.0000015") BigDecimal completionToken,
        @DefaultValue("0.002") BigDecimal image,
        Map<String, Double> assumedFlopsPerSecond) {

    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    static final String GPU_SUFFIX = "-second";

    public PricingProperties {
        if (currency == null || !CURRENCY.matcher(currency).matches()) {
            throw new IllegalArgumentException("tropism.pricing.currency must be an ISO 4217 code such as USD, got '"
                    + currency + "'");
        }
        requirePrice("cpu-second", cpuSecond);
        requirePrice("cuda-second", cudaSecond);
        requirePrice("prompt-token", promptToken);
        requirePrice("completion-token", completionToken);
        requirePrice("image", image);
        Map<String, BigDecimal> gpus = new TreeMap<>();
        if (gpu != null) {
            gpu.forEach((key, price) -> {
                String k = key.toLowerCase(Locale.ROOT);
                if (!k.endsWith(GPU_SUFFIX) || k.length() == GPU_SUFFIX.length()
                        || !Pricing.slug(k).equals(k)) {
                    throw new IllegalArgumentException("tropism.pricing.gpu." + key + ": a GPU price is keyed"
                            + " <model>-second with the model in lower-case letters, digits and '-' (e.g. h100-second)");
                }
                requirePrice("gpu." + key, price);
                gpus.put(k, price);
            });
        }
        gpu = Map.copyOf(gpus);
        if (assumedFlopsPerSecond == null) {
            assumedFlopsPerSecond = Map.of("cpu", 2e10, "cuda", 2e14);
        }
        for (String kind : new String[] {"cpu", "cuda"}) {
            Double flops = assumedFlopsPerSecond.get(kind);
            if (flops == null || !(flops > 0) || flops.isInfinite()) {
                throw new IllegalArgumentException("tropism.pricing.assumed-flops-per-second." + kind
                        + " must be a positive number, got " + flops);
            }
        }
        assumedFlopsPerSecond = Map.copyOf(assumedFlopsPerSecond);
    }

    private static void requirePrice(String name, BigDecimal price) {
        if (price == null || price.signum() < 0) {
            throw new IllegalArgumentException("tropism.pricing." + name + " must be a price of 0 or more, got " + price);
        }
    }
}
