package io.dydet.model;

/** Where a layer reads one input: the output of (section, index), or the image itself when section is null. */
public record Source(Section section, int index) {
    public static final Source INPUT = new Source(null, -1);

    public boolean isInput() {
        return section == null;
    }

    @Override
    public String toString() {
        return isInput() ? "input" : section.keyPrefix() + "." + index;
    }
}
