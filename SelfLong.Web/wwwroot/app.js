// Marks the page once the Blazor circuit renders interactively (browser tests wait for it).
window.selflong = {
    markInteractive: () => { document.body.dataset.interactive = "true"; }
};
