#!/bin/sh
# make demo: write a story with the 260K-parameter TinyStories model.
# Uses ../shared/models/stories260K/stories260K.gguf when present, otherwise downloads
# the 1 MB file into models/ (git-ignored).
QLM=${1:-./qlm}
URL=https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf
MODEL=../shared/models/stories260K/stories260K.gguf
if [ ! -f "$MODEL" ]; then
    MODEL=models/stories260K.gguf
    if [ ! -f "$MODEL" ]; then
        mkdir -p models
        echo "downloading $URL" >&2
        if command -v curl >/dev/null 2>&1; then
            curl -fsSL -o "$MODEL.part" "$URL"
        elif command -v wget >/dev/null 2>&1; then
            wget -q -O "$MODEL.part" "$URL"
        else
            false
        fi
        if [ $? -ne 0 ] || [ ! -s "$MODEL.part" ]; then
            rm -f "$MODEL.part"
            echo "could not download the demo model (offline?)." >&2
            echo "Fetch $URL by hand and save it as $MODEL, then run 'make demo' again." >&2
            exit 1
        fi
        mv "$MODEL.part" "$MODEL"
    fi
fi
exec "$QLM" run -m "$MODEL" -p "Once upon a time" -n 200 --temp 0.8 --seed 42
