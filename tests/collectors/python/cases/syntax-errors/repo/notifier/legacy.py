import os


def send(message):
    print "sending", message
    return os.environ["SMTP_HOST"]
