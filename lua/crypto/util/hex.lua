--- crypto.util.hex: the hex helpers of crypto.util, requirable on their own as in aos.
return require(".crypto.util").hex
