package io.dydet.model;

/**
 * The four layer lists of a DynamicDet cfg, in state-dict order. B1 is the first backbone, DUAL the composite
 * connections plus the second backbone, D1 and D2 the two necks+heads.
 */
public enum Section {
    B1("backbone", "model_b"),
    DUAL("dual_backbone", "model_b2"),
    D1("head", "model_h"),
    D2("head2", "model_h2");

    private final String yamlKey;
    private final String keyPrefix;

    Section(String yamlKey, String keyPrefix) {
        this.yamlKey = yamlKey;
        this.keyPrefix = keyPrefix;
    }

    /** The cfg key of this list, e.g. {@code dual_backbone}. */
    public String yamlKey() {
        return yamlKey;
    }

    /** The state-dict prefix of this list, e.g. {@code model_b2}. */
    public String keyPrefix() {
        return keyPrefix;
    }
}
