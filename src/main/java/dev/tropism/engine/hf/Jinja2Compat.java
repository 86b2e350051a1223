package dev.tropism.engine.hf;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.JinjavaInterpreterFactory;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * What jinjava (2.8.3) needs, beyond its own settings, to run the jinja2 that HF chat templates are written in. Each
 * part goes through one of jinjava's extension points; nothing rewrites a template's text.
 *
 * <ul>
 * <li>Settings ({@link LegacyOverrides}): natural operator precedence ({@code messages|length - 1} is
 * {@code (messages|length) - 1}), <code>{{-</code> and <code>-}}</code> trimming on expressions, strict whitespace
 * control, dict keys evaluated and dicts iterated over their keys, Python-style printing of lists and dicts; and no nested
 * interpretation (jinjava by default renders printed text that contains <code>{{</code> again, so a message could run
 * template code).</li>
 * <li>An expression strategy that prints booleans as Python does ({@code True}).</li>
 * <li>Parser (a subclass of jinjava's {@link ExtendedParser}): a keyword argument's value is a whole expression, so
 * {@code namespace(i=messages|length - 1)} passes the length less one (jinjava subtracted 1 from the named
 * parameter itself and failed); a slice with a step and no bounds, {@code messages[::-1]}, which jinjava cannot
 * parse; and {@code not} below comparisons ({@code not a == b}).</li>
 * <li>An {@link ELResolver} ahead of jinjava's own: the Python string methods templates call,
 * {@code startswith}, {@code endswith}, {@code strip}/{@code lstrip}/{@code rstrip} (with or without characters),
 * {@code split} (literal separator or whitespace, optional maxsplit; Java's {@code split} takes a regex),
 * {@code replace}, {@code upper} and {@code lower}.</li>
 * </ul>
 *
 * <p>{@code |tojson} is {@link PythonJson}. Namespace attribute assignment ({@code set ns.x = ...}) is jinjava's own.
 * What still renders differently from jinja2 is listed in {@code docs/models.md}.
 */
final class Jinja2Compat {

    private Jinja2Compat() {
    }

    /** A jinjava engine with {@code base}'s settings plus the overrides, parser and resolver above. */
    static Jinjava newJinjava(JinjavaConfig.Builder base) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = base.withElResolver(resolver).withNestedInterpretationEnabled(false)
                .withInterperterFactory(new JinjavaInterpreterFactory() { // sic, jinjava's spelling
                    @Override
                    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig c) {
                        context.setExpressionStrategy(new PythonPrint()); // a render's root context
                        return super.newInstance(application, context, c);
                    }
                }).withLegacyOverrides(LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true).withIterateOverMapKeys(true).withUsePyishObjectMapper(true)
                .withUseNaturalOperatorPrecedence(true).withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true).withKeepNullableLoopValues(true).build()).build();
        Properties properties = new Properties();
        properties.setProperty(TreeBuilder.class.getName(), SyntaxBuilder.class.getName());
        ExpressionFactory expressions = new ExpressionFactoryImpl(properties, new TruthyTypeConverter());
        Jinjava jinjava = new Jinjava(config) {
            @Override
            public ExpressionFactory getExpressionFactory() {
                return expressions;
            }
        };
        jinjava.getGlobalContext().registerFilter(new PythonJson());
        return jinjava;
    }

    /**
     * {@code {{ value }}} as jinja2 prints it where jinjava does not: booleans as {@code True}/{@code False}. Unlike
     * jinjava's default strategy it never renders the printed text again as a template (a message holding
     * {@code {{ ... }}} is text, not code) and never HTML-escapes.
     */
    private static final class PythonPrint implements ExpressionStrategy {
        private static final long serialVersionUID = 1L;

        @Override
        public RenderedOutputNode interpretOutput(ExpressionToken master, JinjavaInterpreter interpreter) {
            Object value = interpreter.resolveELExpression(master.getExpr(), master.getLineNumber());
            return new RenderedOutputNode(value instanceof Boolean b ? (b ? "True" : "False")
                    : interpreter.getAsString(value));
        }
    }

    /** Builds {@link Jinja2Parser}s; public, with these constructors, as the expression factory makes it by name. */
    public static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        public SyntaxBuilder() {
            super();
        }

        public SyntaxBuilder(Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new Jinja2Parser(this, expression);
        }
    }

    /** jinjava's parser with Python's keyword arguments and {@code [::step]} slices. */
    static final class Jinja2Parser extends ExtendedParser {

        Jinja2Parser(jinjava.de.odysseus.el.tree.impl.Builder context, String input) {
            super(context, input);
        }

        private boolean atKeywordArgument() throws Scanner.ScanException, ParseException {
            Scanner.Token next = lookahead(0);
            return getToken().getSymbol() == Scanner.Symbol.IDENTIFIER && next.getSymbol() == Scanner.Symbol.EXTENSION
                    && getExtensionHandler(next) == NamedParameterOperator.HANDLER;
        }

        /** One argument: {@code name=<expression>} or an expression. */
        private AstNode argument(boolean required) throws Scanner.ScanException, ParseException {
            if (!atKeywordArgument()) {
                return expr(required);
            }
            String name = consumeToken().getImage();
            consumeToken(); // '='
            return NamedParameterOperator.HANDLER.createAstNode(identifier(name), expr(true));
        }

        @Override
        protected AstParameters params(Scanner.Symbol left, Scanner.Symbol right)
                throws Scanner.ScanException, ParseException {
            consumeToken(left);
            List<AstNode> args = new ArrayList<>();
            AstNode first = argument(false);
            if (first != null) {
                args.add(first);
                while (getToken().getSymbol() == Scanner.Symbol.COMMA) {
                    consumeToken();
                    args.add(argument(true));
                }
            }
            consumeToken(right);
            return createAstParameters(args);
        }

        /**
         * An expression is optional only where a value may be left out: a bracket's index ({@code [:2]}), a list's
         * first item, a dict's key. There, {@code ::} starts a slice by step alone ({@code [::-1]}), which jinjava's
         * bracket parsing does not know; the node stands for it until {@link #createAstBracket} builds the slice.
         */
        @Override
        protected AstNode expr(boolean required) throws Scanner.ScanException, ParseException {
            if (!required && getToken().getSymbol() == Scanner.Symbol.COLON
                    && lookahead(0).getSymbol() == Scanner.Symbol.COLON) {
                consumeToken();
                consumeToken();
                return new StepOnly(expr(true));
            }
            return super.expr(required);
        }

        /** Python's {@code not} binds looser than comparisons: {@code not a == b} is {@code not (a == b)}. */
        @Override
        protected AstNode eq(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.NOT) {
                consumeToken();
                return createAstUnary(eq(true), AstUnary.NOT);
            }
            return super.eq(required);
        }

        @Override
        protected AstBracket createAstBracket(AstNode base, AstNode property, boolean lvalue, boolean strict) {
            if (property instanceof StepOnly step) {
                return new StepSlice(base, step.step, lvalue, strict);
            }
            return super.createAstBracket(base, property, lvalue, strict);
        }
    }

    /** The parsed {@code ::step} of a bracket, until the bracket is built; never evaluated. */
    private static final class StepOnly extends AstRightValue {
        final AstNode step;

        StepOnly(AstNode step) {
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            throw new ELException("a slice step is only valid inside brackets");
        }

        @Override
        public void appendStructure(StringBuilder b, Bindings bindings) {
            b.append("::");
            step.appendStructure(b, bindings);
        }

        @Override
        public String toString() {
            return "::" + step;
        }

        @Override
        public int getCardinality() {
            return 1;
        }

        @Override
        public AstNode getChild(int i) {
            return i == 0 ? step : null;
        }
    }

    /** {@code base[::step]} of a list or a string, as Python slices it. */
    private static final class StepSlice extends AstBracket {

        StepSlice(AstNode base, AstNode step, boolean lvalue, boolean strict) {
            super(base, step, lvalue, strict);
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object base = prefix.eval(bindings, context);
            Object stepValue = property.eval(bindings, context);
            if (!(stepValue instanceof Number n) || n.longValue() != n.doubleValue()) {
                throw new ELException("slice step must be an integer, not " + stepValue);
            }
            long step = n.longValue();
            if (step == 0) {
                throw new ELException("slice step cannot be zero");
            }
            if (base instanceof String s) {
                StringBuilder out = new StringBuilder();
                int[] points = s.codePoints().toArray();
                for (long i = step > 0 ? 0 : points.length - 1; i >= 0 && i < points.length; i += step) {
                    out.appendCodePoint(points[(int) i]);
                }
                return out.toString();
            }
            if (base instanceof Collection<?> c) {
                List<?> items = new ArrayList<>(c);
                List<Object> out = new ArrayList<>();
                for (long i = step > 0 ? 0 : items.size() - 1; i >= 0 && i < items.size(); i += step) {
                    out.add(items.get((int) i));
                }
                return out;
            }
            if (base == null) {
                return null;
            }
            throw new ELException("cannot slice " + base.getClass().getSimpleName());
        }

        @Override
        public String toString() {
            return "[::" + property + "]";
        }
    }

    /** Python's {@code str} methods that chat templates call, on Java strings. */
    static final class PythonStrings extends ELResolver {

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (!(base instanceof String s) || !(method instanceof String name)) {
                return null;
            }
            Object[] args = params == null ? new Object[0] : params;
            Object result;
            switch (name) {
                case "startswith" -> result = anyAffix(s, args, name, true);
                case "endswith" -> result = anyAffix(s, args, name, false);
                case "strip" -> result = strip(s, chars(args, name), true, true);
                case "lstrip" -> result = strip(s, chars(args, name), true, false);
                case "rstrip" -> result = strip(s, chars(args, name), false, true);
                case "split" -> result = split(s, args);
                case "replace" -> result = replace(s, args);
                case "upper" -> result = noArgs(args, name, s.toUpperCase(Locale.ROOT));
                case "lower" -> result = noArgs(args, name, s.toLowerCase(Locale.ROOT));
                default -> {
                    return null;
                }
            }
            context.setPropertyResolved(true);
            return result;
        }

        private static Object noArgs(Object[] args, String name, Object result) {
            if (args.length != 0) {
                throw new ELException(name + "() takes no arguments");
            }
            return result;
        }

        private static boolean anyAffix(String s, Object[] args, String name, boolean prefix) {
            if (args.length != 1) {
                throw new ELException(name + "() takes one argument here (a string or a list of strings)");
            }
            Collection<?> affixes = args[0] instanceof Collection<?> c ? c : List.of(String.valueOf(args[0]));
            for (Object a : affixes) {
                if (!(a instanceof String affix)) {
                    throw new ELException(name + "() needs strings, not " + a);
                }
                if (prefix ? s.startsWith(affix) : s.endsWith(affix)) {
                    return true;
                }
            }
            return false;
        }

        /** The characters argument of {@code strip}: null (whitespace) when absent or None. */
        private static String chars(Object[] args, String name) {
            if (args.length > 1) {
                throw new ELException(name + "() takes at most one argument");
            }
            return args.length == 0 || args[0] == null ? null : args[0].toString();
        }

        /** Python's {@code str.isspace} for one character. */
        static boolean isSpace(int c) {
            return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
        }

        private static boolean strippable(int c, String chars) {
            return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
        }

        static String strip(String s, String chars, boolean left, boolean right) {
            int start = 0;
            int end = s.length();
            while (left && start < end && strippable(s.codePointAt(start), chars)) {
                start += Character.charCount(s.codePointAt(start));
            }
            while (right && end > start && strippable(s.codePointBefore(end), chars)) {
                end -= Character.charCount(s.codePointBefore(end));
            }
            return s.substring(start, end);
        }

        private static int count(Object arg, String what) {
            if (!(arg instanceof Number n) || n.longValue() != n.doubleValue()) {
                throw new ELException(what + " must be an integer, not " + arg);
            }
            return (int) Math.max(-1, Math.min(Integer.MAX_VALUE, n.longValue()));
        }

        /** {@code str.split(sep=None, maxsplit=-1)}. */
        static List<String> split(String s, Object[] args) {
            if (args.length > 2) {
                throw new ELException("split() takes at most two arguments");
            }
            String sep = args.length == 0 || args[0] == null ? null : args[0].toString();
            int max = args.length == 2 ? count(args[1], "maxsplit") : -1;
            List<String> out = new ArrayList<>();
            if (sep != null) {
                if (sep.isEmpty()) {
                    throw new ELException("empty separator");
                }
                int from = 0;
                int at;
                while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
                    out.add(s.substring(from, at));
                    from = at + sep.length();
                }
                out.add(s.substring(from));
                return out;
            }
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i == s.length()) {
                    return out;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int start = i;
                while (i < s.length() && !isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                out.add(s.substring(start, i));
            }
        }

        /** {@code str.replace(old, new, count=-1)}. */
        private static String replace(String s, Object[] args) {
            if (args.length < 2 || args.length > 3) {
                throw new ELException("replace() takes two or three arguments");
            }
            String old = String.valueOf(args[0]);
            String replacement = String.valueOf(args[1]);
            int max = args.length == 3 ? count(args[2], "count") : -1;
            StringBuilder out = new StringBuilder();
            if (old.isEmpty()) { // Python puts the replacement before each character and at the end
                int n = 0;
                for (int i = 0; ; i += Character.charCount(s.codePointAt(i))) {
                    if (max < 0 || n++ < max) {
                        out.append(replacement);
                    }
                    if (i >= s.length()) {
                        return out.toString();
                    }
                    out.appendCodePoint(s.codePointAt(i));
                }
            }
            int from = 0;
            int at;
            for (int n = 0; (max < 0 || n < max) && (at = s.indexOf(old, from)) >= 0; n++) {
                out.append(s, from, at).append(replacement);
                from = at + old.length();
            }
            return out.append(s, from, s.length()).toString();
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }
}
