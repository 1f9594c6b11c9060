"""HTTP: the S3 request, responses, safe XML reading and fast XML writing,
request bodies, listing helpers."""
