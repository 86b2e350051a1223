package dev.tropism.billing;

import dev.tropism.web.Violation;
import java.math.BigDecimal;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Validation of amounts of money in requests. */
public final class Money {

    /** The largest amount accepted (a typo guard that keeps amounts within NUMERIC(24, 9)). */
    public static final BigDecimal MAX = new BigDecimal("1000000000000");

    private Money() {
    }

    /**
     * A positive amount at {@code pointer}: a JSON number greater than 0 and at most {@link #MAX}; null (and no
     * violation) when {@code node} is missing or JSON null.
     */
    public static BigDecimal positive(JsonNode node, String pointer, List<Violation> violations) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isNumber()) {
            violations.add(new Violation(pointer, "must be a number"));
            return null;
        }
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            // 1e400 parses as an infinite double, which has no decimal value
            violations.add(new Violation(pointer, "must be a finite number at most " + MAX.toPlainString()));
            return null;
        }
        BigDecimal amount = node.decimalValue();
        if (amount.signum() <= 0 || amount.compareTo(MAX) > 0) {
            violations.add(new Violation(pointer, "must be greater than 0 and at most " + MAX.toPlainString()
                    + ", got " + amount.stripTrailingZeros().toPlainString()));
            return null;
        }
        if (amount.stripTrailingZeros().scale() > Pricing.SCALE) {
            violations.add(new Violation(pointer, "must have at most " + Pricing.SCALE + " decimal places"));
            return null;
        }
        return amount;
    }

    /** Adds a violation for every field of {@code object} not in {@code known}. */
    public static void onlyFields(JsonNode object, String pointer, List<Violation> violations, String... known) {
        List<String> allowed = List.of(known);
        for (String name : object.propertyNames()) {
            if (!allowed.contains(name)) {
                violations.add(new Violation(pointer + "/" + name, "unknown field; known: " + String.join(", ", known)));
            }
        }
    }
}
