package dev.tropism.evaluations;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * An evaluation report as JUnit XML ({@code GET /v1/evaluations/{id}/report?format=junit}), the de-facto format of
 * Ant's JUnit task that Jenkins, GitLab ({@code artifacts:reports:junit}) and GitHub test-report actions read:
 * one {@code <testsuite>} named after the suite, one {@code <testcase classname="tropism.eval.<suite>"
 * name="<threshold>">} per {@link ThresholdCheck}, and a {@code <failure type="threshold">} with the value, the
 * threshold and the detail in each that failed. Passing cases carry their detail as {@code <system-out>}. Written
 * with {@link XMLStreamWriter}, so a detail with {@code <}, {@code &} or quotes is escaped correctly.
 */
public final class JunitReport {

    /** The {@code classname} prefix of every test case; the suite name follows it. */
    public static final String CLASSNAME_PREFIX = "tropism.eval.";

    private JunitReport() {
    }

    /** The report as a UTF-8 XML document. */
    public static byte[] render(EvalReport report) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuite");
            xml.writeAttribute("name", report.suite().name());
            xml.writeAttribute("tests", Integer.toString(report.checks().size()));
            xml.writeAttribute("failures", Integer.toString(report.failedChecks().size()));
            xml.writeAttribute("errors", "0");
            xml.writeAttribute("skipped", "0");
            xml.writeCharacters("\n  ");
            xml.writeStartElement("properties");
            property(xml, "evaluation", report.evaluation());
            property(xml, "suite_id", report.suite().id());
            property(xml, "suite_version", Integer.toString(report.suite().version()));
            property(xml, "verdict", report.verdict().wire());
            xml.writeCharacters("\n  ");
            xml.writeEndElement();
            for (ThresholdCheck check : report.checks()) {
                xml.writeCharacters("\n  ");
                xml.writeStartElement("testcase");
                xml.writeAttribute("classname", CLASSNAME_PREFIX + report.suite().name());
                xml.writeAttribute("name", check.name());
                xml.writeCharacters("\n    ");
                if (check.passed()) {
                    xml.writeStartElement("system-out");
                    xml.writeCharacters(check.detail());
                } else {
                    xml.writeStartElement("failure");
                    xml.writeAttribute("message", check.name() + ": value " + Numbers.format(check.value())
                            + ", threshold " + Numbers.format(check.threshold()));
                    xml.writeAttribute("type", "threshold");
                    xml.writeCharacters(check.detail());
                }
                xml.writeEndElement();
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeCharacters("\n");
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("writing JUnit XML to memory failed", e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void property(XMLStreamWriter xml, String name, String value) throws XMLStreamException {
        xml.writeCharacters("\n    ");
        xml.writeEmptyElement("property");
        xml.writeAttribute("name", name);
        xml.writeAttribute("value", value);
    }
}
