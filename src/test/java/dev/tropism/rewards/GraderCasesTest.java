package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.rewards.text.NumericGrader;
import dev.tropism.web.Violation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.type.TypeReference;

/**
 * The {@code regex}, {@code numeric}, {@code json} and {@code length} graders, table-driven: each row is
 * (spec, item, output) → the reward computed by hand, and the kind of the one error expected (or none).
 * Specs and items are written with single quotes for readability; outputs are taken literally.
 */
class GraderCasesTest {

    /** A scoring case. {@code error} is the expected error kind, or null for none. */
    record Case(String spec, String item, String output, double reward, String error) {
        @Override
        public String toString() {
            return spec + " | item " + GraderCasesTest.abbreviate(item) + " | output " + GraderCasesTest.abbreviate(output) + " → " + reward
                    + (error == null ? "" : " + " + error);
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 37) + "...' (" + s.length() + " chars)";
    }

    static Arguments ok(String spec, String item, String output, double reward) {
        return Arguments.of(new Case(spec, item, output, reward, null));
    }

    static Arguments err(String spec, String item, String output, double reward, String kind) {
        return Arguments.of(new Case(spec, item, output, reward, kind));
    }

    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static Map<String, Object> item(String singleQuoted) {
        return GraderTests.JSON.readValue(json(singleQuoted), new TypeReference<Map<String, Object>>() { });
    }

    static RewardResult score(String spec, String item, String output) {
        return GraderTests.scoreOne(GraderTests.compile(json(spec)), item(item), output);
    }

    static final String NO_ITEM = "{}";

    // ---------------------------------------------------------------- regex

    static final String NESTED_EQ = "'grader':{'type':'string_check','name':'inner','input':'{{sample.output_text}}',"
            + "'reference':'{{item.answer}}','operation':'eq'}";

    static Stream<Arguments> regexCases() {
        return Stream.of(
                ok("{'type':'regex','name':'r','pattern':'\\\\d+'}", NO_ITEM, "abc 42", 1.0),
                ok("{'type':'regex','name':'r','pattern':'\\\\d+'}", NO_ITEM, "abc", 0.0),
                ok("{'type':'regex','name':'r','pattern':'\\\\d+','mode':'search'}", NO_ITEM, "x1y", 1.0),
                ok("{'type':'regex','name':'r','pattern':'\\\\d+','mode':'fullmatch'}", NO_ITEM, "42", 1.0),
                ok("{'type':'regex','name':'r','pattern':'\\\\d+','mode':'fullmatch'}", NO_ITEM, "42a", 0.0),
                ok("{'type':'regex','name':'r','pattern':'\\\\d+','mode':'fullmatch'}", NO_ITEM, "", 0.0),
                // flags
                ok("{'type':'regex','name':'r','pattern':'paris'}", NO_ITEM, "PARIS", 0.0),
                ok("{'type':'regex','name':'r','pattern':'paris','flags':['case_insensitive']}", NO_ITEM, "PARIS", 1.0),
                ok("{'type':'regex','name':'r','pattern':'a.b'}", NO_ITEM, "a\nb", 0.0),
                ok("{'type':'regex','name':'r','pattern':'a.b','flags':['dotall']}", NO_ITEM, "a\nb", 1.0),
                ok("{'type':'regex','name':'r','pattern':'^b$'}", NO_ITEM, "a\nb", 0.0),
                ok("{'type':'regex','name':'r','pattern':'^b$','flags':['multiline']}", NO_ITEM, "a\nb", 1.0),
                ok("{'type':'regex','name':'r','pattern':'(?i)^B$','flags':['multiline','dotall']}", NO_ITEM, "a\nb", 1.0),
                // leftmost-first takes 'a', leftmost-longest 'ab'
                ok("{'type':'regex','name':'r','pattern':'a|ab','extract':0," + NESTED_EQ + "}", "{'answer':'ab'}", "ab", 0.0),
                ok("{'type':'regex','name':'r','pattern':'a|ab','extract':0,'flags':['longest_match']," + NESTED_EQ + "}",
                        "{'answer':'ab'}", "ab", 1.0),
                // unicode: classes and '.' work on code points, not UTF-16 units
                ok("{'type':'regex','name':'r','pattern':'^\\\\p{Greek}+$'}", NO_ITEM, "λόγος", 1.0),
                ok("{'type':'regex','name':'r','pattern':'^.{5}$'}", NO_ITEM, "λόγος", 1.0),
                ok("{'type':'regex','name':'r','pattern':'^.$'}", NO_ITEM, "😀", 1.0),
                ok("{'type':'regex','name':'r','pattern':'straße','flags':['case_insensitive']}", NO_ITEM, "STRASSE", 0.0),
                ok("{'type':'regex','name':'r','pattern':'ü','flags':['case_insensitive']}", NO_ITEM, "Ü", 1.0),
                // empty output
                ok("{'type':'regex','name':'r','pattern':'^$'}", NO_ITEM, "", 1.0),
                ok("{'type':'regex','name':'r','pattern':'x'}", NO_ITEM, "", 0.0),
                // input template and a missing item field
                ok("{'type':'regex','name':'r','pattern':'^x','input':'{{item.text}}'}", "{'text':'xyz'}", "", 1.0),
                ok("{'type':'regex','name':'r','pattern':'^out=x','input':'out={{sample.output_text}}'}", NO_ITEM, "x", 1.0),
                err("{'type':'regex','name':'r','pattern':'x','input':'{{item.text}}'}", NO_ITEM, "x", 0.0, "missing_field"),
                // extract without a nested grader: the group must take part in the match
                ok("{'type':'regex','name':'r','pattern':'a(b)?','extract':1}", NO_ITEM, "a", 0.0),
                ok("{'type':'regex','name':'r','pattern':'a(b)?','extract':1}", NO_ITEM, "ab", 1.0),
                ok("{'type':'regex','name':'r','pattern':'a(?P<bee>b)?','extract':'bee'}", NO_ITEM, "xab", 1.0),
                // extract + nested grader: the capture is the nested grader's output
                ok("{'type':'regex','name':'r','pattern':'answer: (?P<ans>\\\\w+)','extract':'ans'," + NESTED_EQ + "}",
                        "{'answer':'Paris'}", "the answer: Paris.", 1.0),
                ok("{'type':'regex','name':'r','pattern':'answer: (?<ans>\\\\w+)','extract':'ans'," + NESTED_EQ + "}",
                        "{'answer':'Paris'}", "the answer: Lyon", 0.0),
                ok("{'type':'regex','name':'r','pattern':'answer: (.+)','extract':1,'grader':{'type':'numeric',"
                        + "'name':'num','reference':'{{item.answer}}'}}", "{'answer':1234}", "answer: 1,234", 1.0),
                // nested without extract: the whole match
                ok("{'type':'regex','name':'r','pattern':'\\\\d+'," + NESTED_EQ + "}", "{'answer':'42'}", "is 42!", 1.0),
                // no match: 0, and the nested grader's errors are not reported
                ok("{'type':'regex','name':'r','pattern':'answer: (.+)','extract':1," + NESTED_EQ + "}", NO_ITEM, "none", 0.0),
                // a nested grader's errors on a matching sample are
                err("{'type':'regex','name':'r','pattern':'answer: (.+)','extract':1," + NESTED_EQ + "}", NO_ITEM,
                        "answer: x", 0.0, "missing_field"),
                err("{'type':'regex','name':'r','pattern':'x','input':'{{item.text}}'}",
                        "{'text':'" + "y".repeat(Regexes.MAX_INPUT_LENGTH + 1) + "'}", "", 0.0, "input_too_long"));
    }

    // ---------------------------------------------------------------- numeric

    static String numeric(String extra) {
        return "{'type':'numeric','name':'n','reference':'{{item.answer}}'" + extra + "}";
    }

    static Stream<Arguments> numericCases() {
        String n = numeric("");
        return Stream.of(
                ok(n, "{'answer':'42'}", "The answer is 42.", 1.0),
                ok(n, "{'answer':42}", "42", 1.0),
                ok(n, "{'answer':'41'}", "The answer is 42.", 0.0),
                // last number by default; first on request
                ok(n, "{'answer':'5'}", "3 apples and 5 pears", 1.0),
                ok(numeric(",'match':'first'"), "{'answer':'3'}", "3 apples and 5 pears", 1.0),
                ok(numeric(",'match':'first'"), "{'answer':'5'}", "3 apples and 5 pears", 0.0),
                // signs
                ok(n, "{'answer':'-3'}", "x = -3", 1.0),
                ok(n, "{'answer':'-3'}", "x = \u22123", 1.0),
                ok(n, "{'answer':'7'}", "+7", 1.0),
                ok(n, "{'answer':'3'}", "5-3", 1.0),
                ok(n, "{'answer':'-3'}", "5-3", 0.0),
                ok(n, "{'answer':'0'}", "-0", 1.0),
                // decimals and exponents
                ok(n, "{'answer':'3.5'}", "3.50", 1.0),
                ok(n, "{'answer':0.5}", "about .5", 1.0),
                ok(n, "{'answer':'0.001'}", "1e-3", 1.0),
                ok(n, "{'answer':'25000'}", "2.5E+4", 1.0),
                ok(n, "{'answer':'-1.5e2'}", "-150", 1.0),
                ok(n, "{'answer':'1.5'}", "1.5e", 1.0),
                // thousands separators, in the output and in the reference
                ok(n, "{'answer':'1234567'}", "total: 1,234,567", 1.0),
                ok(n, "{'answer':'1,234,567'}", "1234567", 1.0),
                ok(n, "{'answer':'1234.5'}", "1,234.5", 1.0),
                ok(n, "{'answer':'23'}", "1,23", 1.0),
                ok(numeric(",'thousands_separator':''"), "{'answer':'567'}", "1,234,567", 1.0),
                ok(numeric(",'thousands_separator':'_'"), "{'answer':'1000000'}", "1_000_000", 1.0),
                ok(numeric(",'thousands_separator':' '"), "{'answer':'1000000'}", "1 000 000", 1.0),
                ok(numeric(",'thousands_separator':'\u202f'"), "{'answer':'-2500'}", "-2\u202f500", 1.0),
                // exact decimals: doubles would call these equal
                ok(n, "{'answer':'12345678901234567891'}", "12345678901234567890", 0.0),
                ok(n, "{'answer':'0.3'}", "0.30000000000000004", 0.0),
                // tolerances: |a-b| <= max(rel_tol * max(|a|,|b|), abs_tol)
                ok(numeric(",'abs_tol':0.01"), "{'answer':'3.14'}", "3.14159", 1.0),
                ok(numeric(",'abs_tol':0.01"), "{'answer':'3.14'}", "3.16", 0.0),
                ok(numeric(",'abs_tol':0.01"), "{'answer':'3.14'}", "3.15", 1.0),
                ok(numeric(",'rel_tol':0.1"), "{'answer':'100'}", "105", 1.0),
                ok(numeric(",'rel_tol':0.1"), "{'answer':'100'}", "111", 1.0),
                ok(numeric(",'rel_tol':0.1"), "{'answer':'100'}", "112", 0.0),
                ok(numeric(",'rel_tol':0.01,'abs_tol':1"), "{'answer':'0'}", "0.5", 1.0),
                ok(numeric(",'rel_tol':1e-9"), "{'answer':'0.3'}", "0.30000000000000004", 1.0),
                // custom pattern: group 1, parsed as a whole
                ok(numeric(",'pattern':'answer: (\\\\S+)'"), "{'answer':'150'}", "answer: 1.5e2 done", 1.0),
                ok(numeric(",'pattern':'answer: (\\\\S+)','match':'first'"), "{'answer':'1'}", "answer: 1 answer: 2", 1.0),
                ok(numeric(",'pattern':'answer: (\\\\S+)'"), "{'answer':'2'}", "answer: 1 answer: 2", 1.0),
                // without groups the whole match must be a number
                err(numeric(",'pattern':'=\\\\s*-?\\\\d+'"), "{'answer':'7'}", "x =7", 0.0, "not_a_number"),
                ok(numeric(",'pattern':'-?\\\\d+'"), "{'answer':'-7'}", "x-7", 1.0),
                err(numeric(",'pattern':'answer: (\\\\S+)'"), "{'answer':'1'}", "answer: many", 0.0, "not_a_number"),
                err(numeric(",'pattern':'answer: (\\\\S+)'"), "{'answer':'1'}", "no answer", 0.0, "not_a_number"),
                // unicode text around the number
                ok(n, "{'answer':'42'}", "答案是 42。", 1.0),
                // no number, bad reference, missing field, absurd numbers
                err(n, "{'answer':'1'}", "", 0.0, "not_a_number"),
                err(n, "{'answer':'1'}", "no digits here", 0.0, "not_a_number"),
                err(n, "{'answer':'abc'}", "1", 0.0, "not_a_number"),
                err(n, "{'answer':'1 2'}", "1", 0.0, "not_a_number"),
                err(n, NO_ITEM, "1", 0.0, "missing_field"),
                err(n, "{'answer':'1'}", "1e999999999", 0.0, "not_a_number"),
                err(n, "{'answer':'1'}", "9".repeat(NumericGrader.MAX_NUMBER_LENGTH + 1), 0.0, "not_a_number"),
                err(n, "{'answer':'1'}", "1 " + " ".repeat(Regexes.MAX_INPUT_LENGTH), 0.0, "input_too_long"));
    }

    // ---------------------------------------------------------------- json

    static final String SCHEMA = "'schema':{'type':'object','required':['a'],'properties':{'a':{'type':'integer'}}}";

    static Stream<Arguments> jsonCases() {
        String valid = "{'type':'json','name':'j'}";
        return Stream.of(
                ok(valid, NO_ITEM, "{\"a\":1}", 1.0),
                ok(valid, NO_ITEM, "[1,2]", 1.0),
                ok(valid, NO_ITEM, " 42 ", 1.0),
                ok(valid, NO_ITEM, "\"ü\"", 1.0),
                err(valid, NO_ITEM, "not json", 0.0, "json_parse"),
                err(valid, NO_ITEM, "", 0.0, "json_parse"),
                err(valid, NO_ITEM, "{\"a\":", 0.0, "json_parse"),
                err(valid, NO_ITEM, "{\"a\":1} trailing", 0.0, "json_parse"),
                // schema
                ok("{'type':'json','name':'j'," + SCHEMA + "}", NO_ITEM, "{\"a\":1}", 1.0),
                err("{'type':'json','name':'j'," + SCHEMA + "}", NO_ITEM, "{\"a\":\"x\"}", 0.0, "json_schema"),
                err("{'type':'json','name':'j'," + SCHEMA + "}", NO_ITEM, "{}", 0.0, "json_schema"),
                err("{'type':'json','name':'j'," + SCHEMA + "}", NO_ITEM, "{", 0.0, "json_parse"),
                ok("{'type':'json','name':'j','schema':{'type':'object','properties':{'items':{'type':'array',"
                        + "'items':{'type':'object','required':['id']}}}}}", NO_ITEM, "{\"items\":[{\"id\":1},{\"id\":2}]}", 1.0),
                err("{'type':'json','name':'j','schema':{'type':'object','properties':{'items':{'type':'array',"
                        + "'items':{'type':'object','required':['id']}}}}}", NO_ITEM, "{\"items\":[{\"id\":1},{\"x\":2}]}",
                        0.0, "json_schema"),
                ok("{'type':'json','name':'j','schema':{'type':'string','pattern':'^[a-zß]+$'}}", NO_ITEM, "\"straße\"", 1.0),
                err("{'type':'json','name':'j','schema':{'type':'string','pattern':'^[a-z]+$'}}", NO_ITEM, "\"ab1\"", 0.0,
                        "json_schema"),
                ok("{'type':'json','name':'j','schema':{'$schema':'http://json-schema.org/draft-07/schema#',"
                        + "'type':'array','items':{'type':'number'}}}", NO_ITEM, "[1,2.5]", 1.0),
                ok("{'type':'json','name':'j','schema':true}", NO_ITEM, "null", 1.0),
                err("{'type':'json','name':'j','schema':false}", NO_ITEM, "null", 0.0, "json_schema"),
                // equals: templates compare as text, numbers by value
                ok("{'type':'json','name':'j','equals':{'answer':'{{item.answer}}'}}", "{'answer':'Paris'}",
                        "{\"answer\":\"Paris\"}", 1.0),
                ok("{'type':'json','name':'j','equals':{'answer':'{{item.answer}}'}}", "{'answer':'Paris'}",
                        "{\"answer\":\"Lyon\"}", 0.0),
                err("{'type':'json','name':'j','equals':{'answer':'{{item.answer}}'}}", "{'answer':'Paris'}", "{}", 0.0,
                        "json_path"),
                err("{'type':'json','name':'j','equals':{'answer':'{{item.answer}}'}}", NO_ITEM, "{\"answer\":1}", 0.0,
                        "missing_field"),
                ok("{'type':'json','name':'j','equals':{'n':'{{item.n}}'}}", "{'n':42}", "{\"n\":42}", 1.0),
                ok("{'type':'json','name':'j','equals':{'n':'{{item.n}}'}}", "{'n':42}", "{\"n\":42.0}", 1.0),
                ok("{'type':'json','name':'j','equals':{'n':'{{item.n}}'}}", "{'n':42}", "{\"n\":\"42\"}", 1.0),
                ok("{'type':'json','name':'j','equals':{'n':'{{item.n}}'}}", "{'n':42}", "{\"n\":42.5}", 0.0),
                ok("{'type':'json','name':'j','equals':{'ok':'true'}}", NO_ITEM, "{\"ok\":true}", 1.0),
                ok("{'type':'json','name':'j','equals':{'city':'Zürich'}}", NO_ITEM, "{\"city\":\"Z\\u00fcrich\"}", 1.0),
                // nested paths and literal values
                ok("{'type':'json','name':'j','equals':{'result.values.1':2}}", NO_ITEM,
                        "{\"result\":{\"values\":[1,2.0]}}", 1.0),
                ok("{'type':'json','name':'j','equals':{'result.values.1':2}}", NO_ITEM,
                        "{\"result\":{\"values\":[1,\"2\"]}}", 0.0),
                err("{'type':'json','name':'j','equals':{'result.values.2':2}}", NO_ITEM,
                        "{\"result\":{\"values\":[1,2]}}", 0.0, "json_path"),
                ok("{'type':'json','name':'j','equals':{'meta':{'ok':true,'n':[1,{'x':null}]}}}", NO_ITEM,
                        "{\"meta\":{\"n\":[1.0,{\"x\":null}],\"ok\":true}}", 1.0),
                ok("{'type':'json','name':'j','equals':{'meta':{'ok':true}}}", NO_ITEM,
                        "{\"meta\":{\"ok\":true,\"extra\":1}}", 0.0),
                ok("{'type':'json','name':'j','equals':{'0':'a','1.k':false}}", NO_ITEM, "[\"a\",{\"k\":false}]", 1.0),
                // schema and equals together: both must hold
                ok("{'type':'json','name':'j'," + SCHEMA + ",'equals':{'a':'{{item.a}}'}}", "{'a':3}", "{\"a\":3}", 1.0),
                ok("{'type':'json','name':'j'," + SCHEMA + ",'equals':{'a':'{{item.a}}'}}", "{'a':3}", "{\"a\":4}", 0.0));
    }

    // ---------------------------------------------------------------- length

    static String length(String fields) {
        return "{'type':'length','name':'len'," + fields + "}";
    }

    static Stream<Arguments> lengthCases() {
        String range = length("'min':2,'max':5");
        String dapo = length("'overlong':{'max_length':10,'cache':4}");
        return Stream.of(
                ok(range, NO_ITEM, "abc", 1.0),
                ok(range, NO_ITEM, "ab", 1.0),
                ok(range, NO_ITEM, "abcde", 1.0),
                ok(range, NO_ITEM, "", 0.0),
                ok(range, NO_ITEM, "abcdef", 0.0),
                ok(length("'min':1"), NO_ITEM, "a".repeat(1000), 1.0),
                ok(length("'max':0"), NO_ITEM, "", 1.0),
                // code points, not UTF-16 units
                ok(length("'max':3"), NO_ITEM, "😀😀😀", 1.0),
                ok(length("'min':3,'max':3"), NO_ITEM, "λόγ", 1.0),
                // words
                ok(length("'unit':'words','max':2"), NO_ITEM, " hello \t world\n", 1.0),
                ok(length("'unit':'words','max':2"), NO_ITEM, "a b c", 0.0),
                ok(length("'unit':'words','min':1"), NO_ITEM, " \u00a0 ", 0.0),
                ok(length("'unit':'words','min':3,'max':3"), NO_ITEM, "naïve café 😀", 1.0),
                // linear falloff: max(0, 1 - d / falloff)
                ok(length("'max':5,'falloff':4"), NO_ITEM, "abcdefg", 0.5),
                ok(length("'max':5,'falloff':4"), NO_ITEM, "abcdefghi", 0.0),
                ok(length("'max':5,'falloff':4"), NO_ITEM, "a".repeat(20), 0.0),
                ok(length("'min':4,'falloff':2"), NO_ITEM, "abc", 0.5),
                ok(length("'min':4,'falloff':2"), NO_ITEM, "ab", 0.0),
                ok(length("'min':4,'max':6,'falloff':4"), NO_ITEM, "abcd", 1.0),
                // DAPO eq. 13, L_max = 10, L_cache = 4: 0 up to 6, (6 - L) / 4 up to 10, then -1
                ok(dapo, NO_ITEM, "", 0.0),
                ok(dapo, NO_ITEM, "a".repeat(6), 0.0),
                ok(dapo, NO_ITEM, "a".repeat(7), -0.25),
                ok(dapo, NO_ITEM, "a".repeat(8), -0.5),
                ok(dapo, NO_ITEM, "a".repeat(10), -1.0),
                ok(dapo, NO_ITEM, "a".repeat(11), -1.0),
                ok(length("'overlong':{'max_length':10,'cache':10}"), NO_ITEM, "a".repeat(5), -0.5),
                ok(length("'unit':'words','overlong':{'max_length':3,'cache':1}"), NO_ITEM, "a b c d", -1.0),
                // range and overlong add up
                ok(length("'max':8,'overlong':{'max_length':10,'cache':4}"), NO_ITEM, "a".repeat(8), 0.5),
                ok(length("'max':8,'overlong':{'max_length':10,'cache':4}"), NO_ITEM, "a".repeat(12), -1.0),
                // input template
                ok(length("'input':'{{item.text}}','max':3"), "{'text':'abcd'}", "", 0.0),
                err(length("'input':'{{item.text}}','max':3"), NO_ITEM, "", 0.0, "missing_field"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"regexCases", "numericCases", "jsonCases", "lengthCases"})
    void scores(Case c) {
        RewardResult r = score(c.spec(), c.item(), c.output());
        assertThat(r.reward()).isCloseTo(c.reward(), Offset.offset(1e-12));
        assertThat(r.errors()).extracting(RewardError::kind)
                .containsExactlyElementsOf(c.error() == null ? List.of() : List.of(c.error()));
    }

    // ---------------------------------------------------------------- validation

    /** A spec that must be rejected: every violation's pointer, and a phrase the first one's reason holds. */
    record Invalid(String spec, List<String> pointers, String reason) {
        @Override
        public String toString() {
            return spec + " → " + pointers;
        }
    }

    static Arguments invalid(String spec, String reason, String... pointers) {
        return Arguments.of(new Invalid(spec, List.of(pointers), reason));
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                // regex
                invalid("{'type':'regex','name':'r'}", "required", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'('}", "missing closing )", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'a{1001}'}", "invalid repeat count", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'(?=x)y'}", "(?=", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'(a)\\\\1'}", "escape", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'((a{1000}){1000}){1000}'}", "instructions", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'(a{100}){100}'}", "instructions", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'" + "a".repeat(2001) + "'}", "2000", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':5}", "string", "/grader/pattern"),
                invalid("{'type':'regex','name':'r','pattern':'x','mode':'match'}", "search", "/grader/mode"),
                invalid("{'type':'regex','name':'r','pattern':'x','flags':['dotall','ignorecase',3]}", "case_insensitive",
                        "/grader/flags/1", "/grader/flags/2"),
                invalid("{'type':'regex','name':'r','pattern':'x','flags':'dotall'}", "array", "/grader/flags"),
                invalid("{'type':'regex','name':'r','pattern':'(x)','extract':2}", "0 to 1", "/grader/extract"),
                invalid("{'type':'regex','name':'r','pattern':'(x)','extract':-1}", "0 to 1", "/grader/extract"),
                invalid("{'type':'regex','name':'r','pattern':'(?P<a>x)','extract':'b'}", "[a]", "/grader/extract"),
                invalid("{'type':'regex','name':'r','pattern':'x','input':'{{item}}'}", "placeholder", "/grader/input"),
                invalid("{'type':'regex','name':'r','pattern':'x','grader':{'type':'nope'}}", "unknown grader type",
                        "/grader/grader/type"),
                invalid("{'type':'regex','name':'r','pattern':'x','grader':{'type':'regex','name':'r','pattern':'y'}}",
                        "duplicate", "/grader/grader/name"),
                invalid("{'type':'regex','name':'r','pattern':'(','extract':'g','flags':['x'],'extra':1}", "unknown field",
                        "/grader/extra", "/grader/flags/0", "/grader/pattern"),
                // numeric
                invalid("{'type':'numeric','name':'n'}", "required", "/grader/reference"),
                invalid("{'type':'numeric','name':'n','reference':'1','abs_tol':-1}", "finite", "/grader/abs_tol"),
                invalid("{'type':'numeric','name':'n','reference':'1','rel_tol':1e999}", "finite", "/grader/rel_tol"),
                invalid("{'type':'numeric','name':'n','reference':'1','rel_tol':'0.1'}", "finite", "/grader/rel_tol"),
                invalid("{'type':'numeric','name':'n','reference':'1','thousands_separator':'.'}", "none",
                        "/grader/thousands_separator"),
                invalid("{'type':'numeric','name':'n','reference':'1','pattern':'[0-9'}", "missing closing ]",
                        "/grader/pattern"),
                invalid("{'type':'numeric','name':'n','reference':'1','match':'middle'}", "first", "/grader/match"),
                // json
                invalid("{'type':'json','name':'j','schema':{'type':'objekt'}}", "enumeration", "/grader/schema/type",
                        "/grader/schema/type"),
                invalid("{'type':'json','name':'j','schema':{'properties':{'a/b':{'minimum':'x'}}}}", "number",
                        "/grader/schema/properties/a~1b/minimum"),
                invalid("{'type':'json','name':'j','schema':42}", "JSON Schema", "/grader/schema"),
                invalid("{'type':'json','name':'j','schema':{'$ref':'https://example.com/s.json'}}", "not allowed",
                        "/grader/schema"),
                invalid("{'type':'json','name':'j','schema':{'$ref':'file:///etc/passwd'}}", "not allowed",
                        "/grader/schema"),
                invalid("{'type':'json','name':'j','schema':{'$ref':'#/$defs/nope'}}", "cannot be resolved",
                        "/grader/schema"),
                invalid("{'type':'json','name':'j','schema':{'pattern':'(?=x)'}}", "(?=", "/grader/schema/pattern"),
                invalid("{'type':'json','name':'j','schema':{'properties':{'x':{'pattern':'(?=x)'},"
                        + "'y':{'prefixItems':[{'pattern':'a{1001}'}]}}}}", "(?=",
                        "/grader/schema/properties/x/pattern", "/grader/schema/properties/y/prefixItems/0/pattern"),
                invalid("{'type':'json','name':'j','schema':{'patternProperties':{'(a{100}){100}':{}}}}", "instructions",
                        "/grader/schema/patternProperties/(a{100}){100}"),
                invalid("{'type':'json','name':'j','schema':{'$schema':'https://example.com/my-dialect'}}", "draft",
                        "/grader/schema/$schema"),
                invalid("{'type':'json','name':'j','equals':[]}", "object", "/grader/equals"),
                invalid("{'type':'json','name':'j','equals':{}}", "object", "/grader/equals"),
                invalid("{'type':'json','name':'j','equals':{'a..b':1,'':2,'c':'{{nope}}'}}", "dot-separated",
                        "/grader/equals/a..b", "/grader/equals/", "/grader/equals/c"),
                // length
                invalid("{'type':'length','name':'len'}", "nothing to score", "/grader"),
                invalid("{'type':'length','name':'len','min':5,'max':2}", "≥ min", "/grader/max"),
                invalid("{'type':'length','name':'len','min':-1}", "whole number", "/grader/min"),
                invalid("{'type':'length','name':'len','max':1.5}", "whole number", "/grader/max"),
                invalid("{'type':'length','name':'len','max':'10'}", "whole number", "/grader/max"),
                invalid("{'type':'length','name':'len','unit':'tokens','max':1}", "words", "/grader/unit"),
                invalid("{'type':'length','name':'len','max':3,'falloff':0}", "whole number", "/grader/falloff"),
                invalid("{'type':'length','name':'len','falloff':2,'overlong':{'max_length':4,'cache':1}}", "needs min",
                        "/grader/falloff"),
                invalid("{'type':'length','name':'len','overlong':{'max_length':4,'cache':5}}", "≤ max_length",
                        "/grader/overlong/cache"),
                invalid("{'type':'length','name':'len','overlong':{'max_length':0,'cache':0}}", "whole number",
                        "/grader/overlong/max_length", "/grader/overlong/cache"),
                invalid("{'type':'length','name':'len','overlong':{'max_length':4,'extra':1}}", "unknown field",
                        "/grader/overlong/extra", "/grader/overlong/cache"),
                invalid("{'type':'length','name':'len','overlong':[4,1]}", "object", "/grader/overlong"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void rejects(Invalid c) {
        GraderCompiler.Result r = GraderTests.COMPILER.compile(GraderTests.JSON.readTree(json(c.spec())), "/grader");
        assertThat(r.valid()).isFalse();
        assertThat(r.grader()).isNull();
        assertThat(r.violations()).extracting(Violation::pointer).containsExactlyInAnyOrderElementsOf(c.pointers());
        assertThat(r.violations()).extracting(Violation::reason).anySatisfy(reason -> assertThat(reason).contains(c.reason()));
    }

    // ---------------------------------------------------------------- beyond single rows

    @Test
    void regexWithANestedGraderReportsItsSubRewardOnlyForMatchingSamples() {
        Grader g = GraderTests.compile(json("{'type':'regex','name':'r','pattern':'answer: (.+)','extract':1,"
                + NESTED_EQ + "}"));
        List<RewardResult> rs = GraderTests.scoreGroup(g, Map.of("answer", "7"),
                List.of("answer: 7", "answer: 8", "no answer"), dev.tropism.engine.ScoringContext.NONE);
        assertThat(rs).extracting(RewardResult::reward).containsExactly(1.0, 0.0, 0.0);
        assertThat(rs.get(0).subRewards()).containsExactlyInAnyOrderEntriesOf(Map.of("r", 1.0, "inner", 1.0));
        assertThat(rs.get(1).subRewards()).containsExactlyInAnyOrderEntriesOf(Map.of("r", 0.0, "inner", 0.0));
        assertThat(rs.get(2).subRewards()).containsExactlyInAnyOrderEntriesOf(Map.of("r", 0.0));
        assertThat(rs).allSatisfy(r -> assertThat(r.errors()).isEmpty());
    }

    @Test
    void itemFieldsOfNewGradersAreCollected() {
        GraderCompiler.Result r = GraderTests.COMPILER.compile(GraderTests.JSON.readTree(json("{'type':'multi','name':'m',"
                + "'graders':{'a':{'type':'regex','name':'r','pattern':'x','input':'{{item.q}}'," + NESTED_EQ + "},"
                + "'b':{'type':'numeric','name':'n','reference':'{{item.n}}'},"
                + "'c':{'type':'json','name':'j','equals':{'x':'{{item.x}}','y':1}},"
                + "'d':{'type':'length','name':'len','input':'{{item.t}}','max':3}}}")), "/grader");
        assertThat(r.violations()).isEmpty();
        assertThat(r.itemFields()).containsExactly("answer", "n", "q", "t", "x");
    }

    @Test
    void catastrophicBacktrackingPatternsRunInLinearTime() {
        String hostile = "a".repeat(30_000) + "!";
        Grader g = GraderTests.compile(json("{'type':'regex','name':'r','pattern':'(a+)+$','mode':'fullmatch'}"));
        long t0 = System.nanoTime();
        RewardResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> GraderTests.scoreOne(g, Map.of(), hostile));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.reward()).isEqualTo(0.0);
        System.out.println("(a+)+$ on 30,000 a's + '!': " + ms + " ms");
        // java.util.regex needs ~2^n steps for this; RE2J's pike VM is linear
        assertThat(ms).isLessThan(2_000);
    }

    @Test
    void theLargestAcceptedPatternScansTheLongestInputQuickly() {
        // (a{43}){43}$ expands to about 1,950 instructions, just under the limit: a worst case for the pike
        // VM, which keeps every instruction's thread alive on a run of a's
        String pattern = "(a{43}){43}$";
        long size = Regexes.programSize(pattern, Long.MAX_VALUE);
        assertThat(size).isBetween(1_900L, Regexes.MAX_PROGRAM_SIZE);
        Grader g = GraderTests.compile(json("{'type':'regex','name':'r','pattern':'" + pattern + "'}"));
        int longest = (int) (Regexes.WORK_BUDGET / size);
        String input = "a".repeat(longest - 1) + "!";
        RewardResult tooLong = GraderTests.scoreOne(g, Map.of(), input + "!");
        assertThat(tooLong.errors()).extracting(RewardError::kind).containsExactly("input_too_long");
        long t0 = System.nanoTime();
        RewardResult r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> GraderTests.scoreOne(g, Map.of(), input));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println(pattern + " on " + input.length() + " chars: " + ms + " ms");
        assertThat(r.reward()).isEqualTo(0.0);
    }

    @Test
    void programSizeBoundsCountedRepetition() {
        assertThat(Regexes.programSize("abc", Long.MAX_VALUE)).isEqualTo(3);
        assertThat(Regexes.programSize("a{10}", Long.MAX_VALUE)).isEqualTo(11);
        assertThat(Regexes.programSize("(ab){10}", Long.MAX_VALUE)).isEqualTo(33);
        assertThat(Regexes.programSize("[a-z{}]{3,5}", Long.MAX_VALUE)).isEqualTo(6);
        assertThat(Regexes.programSize("\\Q{1000}\\E", Long.MAX_VALUE)).isGreaterThanOrEqualTo(6);
        assertThat(Regexes.programSize("(?i)x{2}", Long.MAX_VALUE)).isEqualTo(3);
        assertThat(Regexes.programSize("((a{1000}){1000}){1000}", 5_000)).isGreaterThan(5_000);
        assertThat(Regexes.programSize("a{,5}", Long.MAX_VALUE)).isEqualTo(5); // not a repetition in RE2: literals
    }
}
