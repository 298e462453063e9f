"""The codelab's backend, as the baseline: the same Flask code, pointed at our models' output names.

It keeps what the codelab did on purpose: `requests.post` without a session (a new TCP, and with HTTPS a
new TLS, connection per model call), no timeouts, row-format requests, numpy to squeeze the ratings, and
Flask's threaded server. The only changes: the model server URL comes from `TF_SERVING_URL` (instead of
localhost:8501), the candidates output is ours (`movie_titles`, not `output_2`), it returns the best `k`.

Run: `python -m bench.codelab --port 5000` (with TF_SERVING_URL set).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import requests
from flask import Flask, jsonify, make_response, request

from bench.targets import RANKING_URL_PATH, RETRIEVAL_URL_PATH, TITLES_OUTPUT

SERVING_URL = os.environ.get("TF_SERVING_URL", "http://localhost:8501")
RETRIEVAL_URL = SERVING_URL + RETRIEVAL_URL_PATH
RANKING_URL = SERVING_URL + RANKING_URL_PATH
NUM_OF_CANDIDATES = 10

app = Flask(__name__)


@app.route("/recommend", methods=["POST"])
def get_recommendations():
    """The codelab's handler, line for line apart from the names above."""
    user_id = request.get_json()["user_id"]
    k = request.get_json().get("k", NUM_OF_CANDIDATES)
    retrieval_request = json.dumps({"instances": [user_id]})
    retrieval_response = requests.post(RETRIEVAL_URL, data=retrieval_request)
    movie_candidates = retrieval_response.json()["predictions"][0][TITLES_OUTPUT]

    ranking_queries = []
    for movie in movie_candidates:
        ranking_queries.append({"user_id": user_id, "movie_title": movie})
    ranking_request = json.dumps({"instances": ranking_queries})
    ranking_response = requests.post(RANKING_URL, data=ranking_request)
    movies_scores = list(np.squeeze(ranking_response.json()["predictions"]))
    ranked_movies = [m[1] for m in sorted(zip(movies_scores, movie_candidates, strict=True), reverse=True)]

    return make_response(jsonify({"movies": ranked_movies[:k]}), 200)


def main() -> None:
    """Serve the baseline on 127.0.0.1 with Flask's threaded development server, as the codelab did."""
    parser = argparse.ArgumentParser(prog="python -m bench.codelab")
    parser.add_argument("--port", type=int, required=True)
    app.run(host="127.0.0.1", port=parser.parse_args().port, threaded=True)


if __name__ == "__main__":
    main()
