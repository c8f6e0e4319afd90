"""A real TUS 1.0 client (PyPI tuspy) against the bot service's upload endpoint.

  tus_upload.py start  ENDPOINT TOKEN FILE TENANT CHUNKS  -> uploads CHUNKS chunks, then stops (as a
                                                           client that was interrupted); prints the URL
  tus_upload.py resume URL      TOKEN FILE               -> asks the server where it stands (HEAD) and
                                                           sends the rest; prints the offset it resumed at
"""
import json
import os
import sys

from tusclient import client

CHUNK = 32 * 1024


def main() -> None:
    mode = sys.argv[1]
    token = sys.argv[3]
    path = sys.argv[4]
    tus = client.TusClient(sys.argv[2] if mode == "start" else "http://unused.invalid",
                           headers={"Authorization": f"Bearer {token}"})
    if mode == "start":
        tenant, chunks = sys.argv[5], int(sys.argv[6])
        uploader = tus.uploader(file_path=path, chunk_size=CHUNK,
                                metadata={"tenantId": tenant, "fileName": os.path.basename(path)})
        for _ in range(chunks):
            uploader.upload_chunk()
        print(json.dumps({"url": uploader.url, "offset": uploader.offset}))
    else:
        url = sys.argv[2]
        uploader = tus.uploader(file_path=path, chunk_size=CHUNK, url=url)
        resumed_at = uploader.offset
        uploader.upload()
        print(json.dumps({"url": url, "resumedAt": resumed_at, "offset": uploader.offset,
                          "size": os.path.getsize(path)}))


if __name__ == "__main__":
    main()
