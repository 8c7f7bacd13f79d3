// Generated blocks inside hand-written documents: the text between two HTML comment markers.

/** `text` with what lies between `markers` replaced by `block` (markers kept); an error naming the file when they are missing. */
export function betweenMarkers(
    file: string,
    text: string,
    markers: { start: string; end: string },
    block: string,
): string {
    const start = text.indexOf(markers.start);
    const end = text.indexOf(markers.end);
    if (start < 0 || end < start)
        throw new Error(`${file}: the markers ${markers.start} … ${markers.end} are missing`);
    return `${text.slice(0, start + markers.start.length)}\n${block}\n${text.slice(end)}`;
}
