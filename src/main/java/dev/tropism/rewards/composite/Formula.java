package dev.tropism.rewards.composite;

import com.ezylang.evalex.EvaluationException;
import com.ezylang.evalex.Expression;
import com.ezylang.evalex.config.ExpressionConfiguration;
import com.ezylang.evalex.config.MapBasedFunctionDictionary;
import com.ezylang.evalex.config.MapBasedOperatorDictionary;
import com.ezylang.evalex.data.EvaluationValue;
import com.ezylang.evalex.functions.AbstractFunction;
import com.ezylang.evalex.functions.FunctionIfc;
import com.ezylang.evalex.functions.FunctionParameter;
import com.ezylang.evalex.functions.basic.AbsFunction;
import com.ezylang.evalex.functions.basic.CeilingFunction;
import com.ezylang.evalex.functions.basic.FloorFunction;
import com.ezylang.evalex.functions.basic.IfFunction;
import com.ezylang.evalex.functions.basic.MaxFunction;
import com.ezylang.evalex.functions.basic.MinFunction;
import com.ezylang.evalex.functions.basic.SqrtFunction;
import com.ezylang.evalex.operators.OperatorIfc;
import com.ezylang.evalex.operators.arithmetic.InfixDivisionOperator;
import com.ezylang.evalex.operators.arithmetic.InfixMinusOperator;
import com.ezylang.evalex.operators.arithmetic.InfixModuloOperator;
import com.ezylang.evalex.operators.arithmetic.InfixMultiplicationOperator;
import com.ezylang.evalex.operators.arithmetic.InfixPlusOperator;
import com.ezylang.evalex.operators.arithmetic.InfixPowerOfOperator;
import com.ezylang.evalex.operators.arithmetic.PrefixMinusOperator;
import com.ezylang.evalex.operators.arithmetic.PrefixPlusOperator;
import com.ezylang.evalex.operators.booleans.InfixAndOperator;
import com.ezylang.evalex.operators.booleans.InfixEqualsOperator;
import com.ezylang.evalex.operators.booleans.InfixGreaterEqualsOperator;
import com.ezylang.evalex.operators.booleans.InfixGreaterOperator;
import com.ezylang.evalex.operators.booleans.InfixLessEqualsOperator;
import com.ezylang.evalex.operators.booleans.InfixLessOperator;
import com.ezylang.evalex.operators.booleans.InfixNotEqualsOperator;
import com.ezylang.evalex.operators.booleans.InfixOrOperator;
import com.ezylang.evalex.operators.booleans.PrefixNotOperator;
import com.ezylang.evalex.parser.ASTNode;
import com.ezylang.evalex.parser.ParseException;
import com.ezylang.evalex.parser.Token;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GradingException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@code multi} grader's {@code formula}: an arithmetic expression over the keys of its
 * {@code graders}, e.g. {@code 0.7*correct + 0.3*max(format, 0)}, parsed and checked once at creation
 * and evaluated per sample.
 *
 * <p>Evaluated by <a href="https://github.com/ezylang/EvalEx">EvalEx</a> 3 (Apache-2.0), an expression
 * evaluator that interprets its own syntax tree over {@link BigDecimal}s: it never compiles, loads or
 * reflects on code, and a formula can only call what its configuration lists. The configuration here
 * is a closed whitelist, not EvalEx's defaults (which include {@code RANDOM}, {@code FACT}, string,
 * regex and date functions):
 * <ul>
 *   <li>operators: {@code + - * / ^ %}, unary {@code + - !}, comparisons {@code = == != <> < <= > >=}
 *       and {@code && ||}, which give 1 (true) or 0 (false) wherever they appear, so they take part in
 *       arithmetic ({@code 2*(a >= 1)}); {@code && || !} and {@code if} read any non-zero number as true; {@code ^} is right-associative and
 *       binds tighter than unary minus ({@code -x^2 = -(x^2)}), which binds tighter than
 *       {@code * / %}, then {@code + -}, then comparisons, {@code &&}, {@code ||}; parentheses group
 *       (a negative exponent needs them: {@code x^(-1)});</li>
 *   <li>functions (case-insensitive): {@code min(a, b, …)}, {@code max(a, b, …)}, {@code abs(x)},
 *       {@code if(condition, then, else)} (only the chosen branch is evaluated),
 *       {@code clip(x, lo, hi)}, {@code sqrt(x)}, {@code floor(x)}, {@code ceiling(x)};</li>
 *   <li>operands: numbers ({@code 0.5}, {@code 1e-3}) and grader keys (letters, digits and {@code _},
 *       not starting with a digit; matched case-insensitively as EvalEx does). No constants, strings,
 *       arrays, structures or implicit multiplication ({@code 2x} does not parse).</li>
 * </ul>
 * Arithmetic uses {@link MathContext#DECIMAL64} (16 significant digits, like a double).
 *
 * <p>Thread safety: an EvalEx {@link Expression} keeps its variable values in itself, so one instance
 * cannot be shared by threads that bind different values. The syntax tree is parsed once here, and
 * each evaluation binds its values in a {@link Expression#copy() copy} that shares that tree (the
 * copy only allocates a fresh variable map), so concurrent evaluations never share mutable state.
 */
final class Formula implements MultiGrader.Combination {

    /** Longer formulas are rejected; a reward formula is a line, and this bounds parse and evaluation time. */
    static final int MAX_LENGTH = 1000;

    /** The per-sample error kind of a formula that fails to evaluate (e.g. division by zero). */
    static final String ERROR_KIND = "formula";

    @SuppressWarnings("unchecked")
    private static final ExpressionConfiguration CONFIG = ExpressionConfiguration.builder()
            .operatorDictionary(MapBasedOperatorDictionary.ofOperators(
                    Map.entry("+", new PrefixPlusOperator()),
                    Map.entry("-", new PrefixMinusOperator()),
                    Map.entry("+", new InfixPlusOperator()),
                    Map.entry("-", new InfixMinusOperator()),
                    Map.entry("*", new InfixMultiplicationOperator()),
                    Map.entry("/", new InfixDivisionOperator()),
                    Map.entry("^", new BoundedPower()),
                    Map.entry("%", new InfixModuloOperator()),
                    Map.entry("=", new Numeric(new InfixEqualsOperator())),
                    Map.entry("==", new Numeric(new InfixEqualsOperator())),
                    Map.entry("!=", new Numeric(new InfixNotEqualsOperator())),
                    Map.entry("<>", new Numeric(new InfixNotEqualsOperator())),
                    Map.entry(">", new Numeric(new InfixGreaterOperator())),
                    Map.entry(">=", new Numeric(new InfixGreaterEqualsOperator())),
                    Map.entry("<", new Numeric(new InfixLessOperator())),
                    Map.entry("<=", new Numeric(new InfixLessEqualsOperator())),
                    Map.entry("&&", new Numeric(new InfixAndOperator())),
                    Map.entry("||", new Numeric(new InfixOrOperator())),
                    Map.entry("!", new Numeric(new PrefixNotOperator()))))
            .functionDictionary(MapBasedFunctionDictionary.ofFunctions(
                    Map.<String, FunctionIfc>entry("MIN", new MinFunction()),
                    Map.<String, FunctionIfc>entry("MAX", new MaxFunction()),
                    Map.<String, FunctionIfc>entry("ABS", new AbsFunction()),
                    Map.<String, FunctionIfc>entry("IF", new IfFunction()),
                    Map.<String, FunctionIfc>entry("CLIP", new ClipFunction()),
                    Map.<String, FunctionIfc>entry("SQRT", new SqrtFunction()),
                    Map.<String, FunctionIfc>entry("FLOOR", new Bounded(new FloorFunction())),
                    Map.<String, FunctionIfc>entry("CEILING", new Bounded(new CeilingFunction()))))
            .defaultConstants(Map.of())
            .arraysAllowed(false)
            .structuresAllowed(false)
            .implicitMultiplicationAllowed(false)
            // -x^2 is -(x^2), as in mathematics and Python; EvalEx's default would read (-x)^2.
            .powerOfPrecedence(OperatorIfc.OPERATOR_PRECEDENCE_POWER_HIGHER)
            .mathContext(MathContext.DECIMAL64)
            .build();

    /**
     * Largest magnitude (decimal digits before the point) a value may reach in a formula. Rewards are
     * doubles, so nothing beyond 10^308 means anything, and BigDecimal work on a value such as 10^(6·10^8)
     * (floor, ceiling) would take minutes per sample: such values are an evaluation error instead.
     */
    static final int MAX_MAGNITUDE = 400;

    static void checkMagnitude(BigDecimal v, Token token) throws EvaluationException {
        if (v.signum() != 0 && v.precision() - v.scale() > MAX_MAGNITUDE) {
            throw new EvaluationException(token, "value beyond 1e" + MAX_MAGNITUDE);
        }
    }

    /** {@code x ^ y} with |y| ≤ 1000 and a result within {@link #MAX_MAGNITUDE}. */
    @com.ezylang.evalex.operators.InfixOperator(precedence = OperatorIfc.OPERATOR_PRECEDENCE_POWER, leftAssociative = false)
    static final class BoundedPower extends InfixPowerOfOperator {

        @Override
        public EvaluationValue evaluate(Expression expression, Token token, EvaluationValue... operands)
                throws EvaluationException {
            if (operands[1].isNumberValue() && operands[1].getNumberValue().abs().compareTo(BigDecimal.valueOf(1000)) > 0) {
                throw new EvaluationException(token, "exponent beyond ±1000");
            }
            if (operands[0].isNumberValue()) {
                checkMagnitude(operands[0].getNumberValue(), token);
            }
            EvaluationValue v = super.evaluate(expression, token, operands);
            if (v.isNumberValue()) {
                checkMagnitude(v.getNumberValue(), token);
            }
            return v;
        }
    }

    /** A one-argument function whose argument must lie within {@link #MAX_MAGNITUDE} (floor, ceiling). */
    @FunctionParameter(name = "value")
    static final class Bounded extends AbstractFunction {

        private final FunctionIfc inner;

        Bounded(FunctionIfc inner) {
            this.inner = inner;
        }

        @Override
        public EvaluationValue evaluate(Expression expression, Token token, EvaluationValue... args)
                throws EvaluationException {
            if (args[0].isNumberValue()) {
                checkMagnitude(args[0].getNumberValue(), token);
            }
            return inner.evaluate(expression, token, args);
        }
    }

    /**
     * A comparison or logical operator whose boolean result is 1 or 0, so that it can take part in arithmetic
     * ({@code 2*(a >= 1)}, {@code (a == 1) + 0}); EvalEx's own operators give booleans, which its arithmetic
     * operators refuse. Precedence, associativity and laziness are the wrapped operator's.
     */
    static final class Numeric implements OperatorIfc {

        private final OperatorIfc inner;

        Numeric(OperatorIfc inner) {
            this.inner = inner;
        }

        @Override
        public EvaluationValue evaluate(Expression expression, Token token, EvaluationValue... operands)
                throws EvaluationException {
            EvaluationValue v = inner.evaluate(expression, token, operands);
            if (!v.isBooleanValue()) {
                return v;
            }
            return expression.convertValue(Boolean.TRUE.equals(v.getBooleanValue()) ? BigDecimal.ONE : BigDecimal.ZERO);
        }

        @Override
        public int getPrecedence() {
            return inner.getPrecedence();
        }

        @Override
        public int getPrecedence(ExpressionConfiguration configuration) {
            return inner.getPrecedence(configuration);
        }

        @Override
        public boolean isLeftAssociative() {
            return inner.isLeftAssociative();
        }

        @Override
        public boolean isPrefix() {
            return inner.isPrefix();
        }

        @Override
        public boolean isPostfix() {
            return inner.isPostfix();
        }

        @Override
        public boolean isInfix() {
            return inner.isInfix();
        }

        @Override
        public boolean isOperandLazy() {
            return inner.isOperandLazy();
        }
    }

    /** {@code clip(x, lo, hi)}: x limited to [lo, hi] ({@code lo} when lo &gt; hi). */
    @FunctionParameter(name = "value")
    @FunctionParameter(name = "low")
    @FunctionParameter(name = "high")
    static final class ClipFunction extends AbstractFunction {

        @Override
        public EvaluationValue evaluate(Expression expression, Token token, EvaluationValue... args) {
            BigDecimal high = args[2].getNumberValue();
            BigDecimal low = args[1].getNumberValue();
            return expression.convertValue(args[0].getNumberValue().min(high).max(low));
        }
    }

    private final String text;
    /** Parsed once; only ever copied, never evaluated itself. */
    private final Expression parsed;
    /** For each key the formula uses: its index among the multi's graders, and its name. */
    private final int[] usedIndex;
    private final String[] usedKey;

    private Formula(String text, Expression parsed, int[] usedIndex, String[] usedKey) {
        this.text = text;
        this.parsed = parsed;
        this.usedIndex = usedIndex;
        this.usedKey = usedKey;
    }

    /**
     * Parses and checks {@code text} against the multi grader's {@code keys} (in the order of its
     * graders) and its own {@code name}; every problem is reported at {@code pointer}. Null when invalid.
     */
    static Formula compile(String text, List<String> keys, String name, String pointer, GraderCompiler.Context ctx) {
        if (text.length() > MAX_LENGTH) {
            ctx.violation(pointer, "must be at most " + MAX_LENGTH + " characters");
            return null;
        }
        Expression parsed = new Expression(text, CONFIG);
        Set<String> used;
        try {
            parsed.validate();
            used = parsed.getUsedVariables();
            for (ASTNode node : parsed.getAllASTNodes()) {
                if (node.getToken().getType() == Token.TokenType.STRING_LITERAL) {
                    ctx.violation(pointer, "does not parse: string literals are not allowed (at character "
                            + node.getToken().getStartPosition() + ")");
                    return null;
                }
            }
        } catch (ParseException e) {
            ctx.violation(pointer, "does not parse: " + e.getMessage() + " (at character " + e.getStartPosition()
                    + (e.getTokenString() == null || e.getTokenString().equals(text) ? "" : ", '" + e.getTokenString() + "'")
                    + ")");
            return null;
        }
        // EvalEx matches names case-insensitively, so keys differing only in case would be one variable.
        Map<String, Integer> index = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int k = 0; k < keys.size(); k++) {
            Integer clash = index.putIfAbsent(keys.get(k), k);
            if (clash != null) {
                ctx.violation(pointer, "grader keys '" + keys.get(clash) + "' and '" + keys.get(k)
                        + "' differ only in case, which a formula cannot tell apart");
                return null;
            }
        }
        Set<String> unknown = new TreeSet<>();
        boolean cycle = false;
        List<Integer> usedIdx = new ArrayList<>();
        List<String> usedKeys = new ArrayList<>();
        for (String v : used) {
            Integer k = index.get(v);
            if (k != null) {
                usedIdx.add(k);
                usedKeys.add(keys.get(k));
            } else if (name != null && v.equalsIgnoreCase(name)) {
                cycle = true;
            } else {
                unknown.add(v);
            }
        }
        if (cycle) {
            ctx.violation(pointer, "cycle: the formula names this multi grader's own name '" + name
                    + "'; it may only name the keys of graders " + keys);
        }
        if (!unknown.isEmpty()) {
            ctx.violation(pointer, "unknown grader keys " + unknown + "; the formula may only name the keys of graders "
                    + keys);
        }
        if (cycle || !unknown.isEmpty()) {
            return null;
        }
        return new Formula(text, parsed, usedIdx.stream().mapToInt(Integer::intValue).toArray(),
                usedKeys.toArray(String[]::new));
    }

    /** The formula's value for sample {@code i}; a {@code formula} error when it cannot be evaluated. */
    @Override
    public double combine(double[][] scores, int i) throws GradingException {
        EvaluationValue result;
        try {
            Expression e = parsed.copy();
            for (int u = 0; u < usedIndex.length; u++) {
                e.with(usedKey[u], BigDecimal.valueOf(scores[usedIndex[u]][i]));
            }
            result = e.evaluate();
        } catch (EvaluationException e) {
            throw new GradingException(ERROR_KIND, "formula '" + text + "' failed: " + e.getMessage());
        } catch (ParseException | RuntimeException e) {
            // EvalEx's BigDecimal arithmetic throws ArithmeticException/NumberFormatException for
            // e.g. 0^-1 or sqrt(-1) and an overflowing exponent; none may reach the trainer.
            throw new GradingException(ERROR_KIND, "formula '" + text + "' failed: " + e);
        }
        if (result.isBooleanValue()) {
            return Boolean.TRUE.equals(result.getBooleanValue()) ? 1.0 : 0.0;
        }
        if (!result.isNumberValue()) {
            throw new GradingException(ERROR_KIND, "formula '" + text + "' gave " + result.getDataType() + ", not a number");
        }
        // Beyond ±Double.MAX_VALUE this is infinite, which the multi grader reports as non_finite.
        return result.getNumberValue().doubleValue();
    }
}
