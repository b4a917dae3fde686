"""A Flask app as an api/ function; vercel.json rewrites /api/* to it."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/api")
def index():
    return jsonify(message="Hello from Flask")


@app.get("/api/users/<int:user_id>")
def user(user_id):
    return jsonify(id=user_id, name=request.args.get("name", "anonymous"))


@app.post("/api/echo")
def echo():
    return jsonify(received=request.get_json(silent=True))
