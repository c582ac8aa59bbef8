// The heatmap's scored cells are SVG rects drawn server-side (HeatmapSvg with interactive: true), so
// one listener on the container serves every render. The grid is one tab stop: the focused cell keeps
// tabindex 0, arrow keys move between scored cells, Enter or Space opens the cell's drawer.
const cells = container => Array.from(container.querySelectorAll('rect[role=button][data-cell]'));
const position = rect => rect.dataset.cell.split('-').map(Number);

export function init(container, dotnet) {
    let last = null;
    const open = rect => {
        last = rect.dataset.cell;
        const [length, depth] = position(rect);
        dotnet.invokeMethodAsync('OpenCell', length, depth);
    };
    const focus = rect => {
        for (const other of cells(container)) other.setAttribute('tabindex', other === rect ? '0' : '-1');
        rect.focus();
    };
    container.addEventListener('click', e => {
        const rect = e.target.closest('rect[role=button][data-cell]');
        if (rect) { focus(rect); open(rect); }
    });
    container.addEventListener('keydown', e => {
        const rect = e.target.closest('rect[role=button][data-cell]');
        if (!rect) return;
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(rect); return; }
        const step = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] }[e.key];
        if (!step) return;
        e.preventDefault();
        // Neighbours by drawn position: the next scored cell in that direction on the same row or column.
        const box = r => ({ x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')) });
        const here = box(rect);
        const next = cells(container)
            .map(r => ({ r, b: box(r) }))
            .filter(({ b }) => step[0] !== 0 ? b.y === here.y && Math.sign(b.x - here.x) === step[0] : b.x === here.x && Math.sign(b.y - here.y) === step[1])
            .sort((a, b) => Math.abs(a.b.x - here.x) + Math.abs(a.b.y - here.y) - (Math.abs(b.b.x - here.x) + Math.abs(b.b.y - here.y)))[0];
        if (next) focus(next.r);
    });
    return {
        // Back to the cell that opened the drawer (the SVG may have been redrawn meanwhile).
        restoreFocus: () => {
            const rect = last && container.querySelector(`rect[role=button][data-cell="${last}"]`);
            if (rect) focus(rect);
        },
    };
}

export function focusFirst(selector) {
    document.querySelector(selector)?.focus();
}
