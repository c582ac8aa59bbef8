// Marks the page once the Blazor circuit renders interactively (browser tests wait for it).
window.selflong = {
    markInteractive: () => { document.body.dataset.interactive = "true"; },
    // Draws the SVG inside an element onto a canvas and downloads it as PNG.
    svgToPng: (elementId, fileName) => {
        const svg = document.getElementById(elementId)?.querySelector("svg");
        if (!svg) return;
        const image = new Image();
        const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" }));
        image.onload = () => {
            const canvas = document.createElement("canvas");
            canvas.width = image.width * 2; canvas.height = image.height * 2;
            const context = canvas.getContext("2d");
            context.scale(2, 2); context.drawImage(image, 0, 0);
            URL.revokeObjectURL(url);
            const link = document.createElement("a");
            link.download = fileName; link.href = canvas.toDataURL("image/png"); link.click();
        };
        image.src = url;
    }
};
