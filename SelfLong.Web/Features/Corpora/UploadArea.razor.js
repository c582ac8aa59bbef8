// Drag-and-drop (or picked) files go to the REST upload endpoint in one streamed multipart
// request; upload progress is reported back to the component, which splits it per file.
// The request carries the antiforgery token the API asks of cookie-signed-in browsers.
export function init(zone, input, url, dotnet) {
    const send = async files => {
        const list = Array.from(files || []);
        if (list.length === 0) return;
        dotnet.invokeMethodAsync('FilesChosen', list.map(f => ({ name: f.name, size: f.size })));
        const form = new FormData();
        for (const file of list) form.append('files', file, file.name);
        let antiforgery;
        try {
            antiforgery = await (await fetch('/api/auth/antiforgery', { credentials: 'same-origin' })).json();
        } catch {
            dotnet.invokeMethodAsync('UploadDone', 0, '');
            return;
        }
        const xhr = new XMLHttpRequest();
        xhr.open('POST', url);
        xhr.setRequestHeader(antiforgery.headerName, antiforgery.token);
        let last = 0;
        xhr.upload.onprogress = e => {
            const now = Date.now();
            if (now - last > 150 || e.loaded === e.total) {
                last = now;
                dotnet.invokeMethodAsync('UploadProgress', e.loaded, e.total);
            }
        };
        xhr.onload = () => dotnet.invokeMethodAsync('UploadDone', xhr.status, xhr.responseText);
        xhr.onerror = () => dotnet.invokeMethodAsync('UploadDone', 0, '');
        xhr.send(form);
    };
    zone.addEventListener('dragover', e => { e.preventDefault(); zone.dataset.over = 'true'; });
    zone.addEventListener('dragleave', () => { delete zone.dataset.over; });
    zone.addEventListener('drop', e => { e.preventDefault(); delete zone.dataset.over; send(e.dataTransfer.files); });
    zone.addEventListener('click', () => input.click());
    input.addEventListener('change', () => { send(input.files); input.value = ''; });
    zone.dataset.ready = 'true';
}
