from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/api/flask_fn", methods=["GET", "POST"])
def index():
    if request.method == "POST":
        resp = make_response(request.get_data())
        resp.headers["Content-Type"] = "application/octet-stream"
        return resp
    resp = make_response({"name": request.args.get("name", ""), "remote": request.remote_addr,
                          "cookie": request.cookies.get("a", "")})
    resp.set_cookie("seen", "1")
    resp.set_cookie("flask", "yes")
    return resp
