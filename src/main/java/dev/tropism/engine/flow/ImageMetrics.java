package dev.tropism.engine.flow;

/** Batch statistics of generated images: class accuracy under a classifier and feature-space diversity. */
public final class ImageMetrics {

    private ImageMetrics() {
    }

    /** Share of rows whose arg-max class is {@code labels[i]}. */
    public static double accuracy(float[][] probabilities, int[] labels) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (ClassifierTraining.argMax(probabilities[i]) == labels[i]) {
                correct++;
            }
        }
        return labels.length == 0 ? Double.NaN : (double) correct / labels.length;
    }

    /**
     * Diversity: the mean pairwise Euclidean distance between feature vectors of samples that share a label
     * (the same prompt), averaged over labels with at least two samples. A collapsing policy drives it to 0.
     */
    public static double diversity(float[][] features, int[] labels) {
        java.util.Map<Integer, java.util.List<float[]>> byLabel = new java.util.TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            byLabel.computeIfAbsent(labels[i], k -> new java.util.ArrayList<>()).add(features[i]);
        }
        double total = 0;
        int groups = 0;
        for (java.util.List<float[]> group : byLabel.values()) {
            if (group.size() < 2) {
                continue;
            }
            double sum = 0;
            int pairs = 0;
            for (int i = 0; i < group.size(); i++) {
                for (int j = i + 1; j < group.size(); j++) {
                    sum += distance(group.get(i), group.get(j));
                    pairs++;
                }
            }
            total += sum / pairs;
            groups++;
        }
        return groups == 0 ? Double.NaN : total / groups;
    }

    static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }
}
