package dev.tropism.evaluations;

import java.math.BigDecimal;
import java.math.MathContext;

/** How the reports write a measured number: 4 significant digits, whole numbers from 1000 on, no exponent. */
final class Numbers {

    private Numbers() {
    }

    /** {@code 0.91234} → {@code 0.9123}, {@code 1234.5} → {@code 1235}, {@code 2.0} → {@code 2}, null → "n/a". */
    static String format(Double value) {
        if (value == null) {
            return "n/a";
        }
        if (!Double.isFinite(value)) {
            return value.toString();
        }
        BigDecimal d = BigDecimal.valueOf(value);
        d = Math.abs(value) >= 1000 ? d.setScale(0, java.math.RoundingMode.HALF_EVEN) : d.round(new MathContext(4));
        String s = d.stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /** A signed difference: {@code +0.05}, {@code -3}. */
    static String signed(Double delta) {
        return delta == null || delta < 0 || Double.isNaN(delta) ? format(delta) : "+" + format(delta);
    }
}
