--- crypto.util.stream: the stream helpers of crypto.util, requirable on their own as in aos.
return require(".crypto.util").stream
