--- crypto.util.array: the array helpers of crypto.util, requirable on their own as in aos.
return require(".crypto.util").array
